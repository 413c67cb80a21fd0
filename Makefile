# The two commands of the README: `make run` (build, demo data, serve) and `make test` (every
# test, plain and under ASan+UBSan). Everything else is a helper of those two.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
DEMO_DIR   ?= var/demo
DEMO_NOW   ?= 2026-12-03T10:00:00+05:00

.PHONY: deps build demo-db run chat test test-plain test-asan format format-check bench clean

deps:
	@./.ci/deps

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# The demo runs on the clock override so the November timesheets are inside their window
# whatever today's date is (DESIGN.md §11, §12).
demo-db: build
	mkdir -p $(DEMO_DIR)
	cd $(DEMO_DIR) && $(CURDIR)/$(BUILD)/tabelbot migrate --config $(CURDIR)/tests/fixtures/demo.toml
	cd $(DEMO_DIR) && $(CURDIR)/$(BUILD)/tabelbot import --config $(CURDIR)/tests/fixtures/demo.toml \
	    $(CURDIR)/tests/fixtures/registry-demo.json

run: demo-db
	cd $(DEMO_DIR) && TABELBOT_NOW=$(DEMO_NOW) exec $(CURDIR)/$(BUILD)/tabelbot serve \
	    --config $(CURDIR)/tests/fixtures/demo.toml

# A fresh copy of the demo registry each time, so the README's steps always work.
CHAT_DIR ?= var/chat
chat: build
	rm -rf $(CHAT_DIR) && mkdir -p $(CHAT_DIR)
	cd $(CHAT_DIR) && $(CURDIR)/$(BUILD)/tabelbot migrate --config $(CURDIR)/tests/fixtures/demo.toml >/dev/null
	cd $(CHAT_DIR) && $(CURDIR)/$(BUILD)/tabelbot import --config $(CURDIR)/tests/fixtures/demo.toml \
	    $(CURDIR)/tests/fixtures/registry-demo.json
	cd $(CHAT_DIR) && TABELBOT_NOW=$(DEMO_NOW) exec $(CURDIR)/$(BUILD)/tabelbot chat \
	    --config $(CURDIR)/tests/fixtures/demo.toml

test: deps test-plain test-asan

test-plain:
	cmake -S . -B $(BUILD)-ci -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTABELBOT_WERROR=ON >/dev/null
	cmake --build $(BUILD)-ci -j $(JOBS)
	cd $(BUILD)-ci && ctest --output-on-failure -j $(JOBS)

test-asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTABELBOT_SANITIZE=ON -DTABELBOT_WERROR=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    ctest --output-on-failure -j $(JOBS)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD)-ci $(ASAN_BUILD)
