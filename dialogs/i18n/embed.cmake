# Build step of the message catalogs (dialogs/i18n/README.md): turns one catalog text file into
# a C source holding its bytes as a hex array, so the binary needs no files at run time.
# Usage: cmake -DIN=kk.txt -DOUT=catalog_kk.c -DNAME=kk -P embed.cmake
if(NOT DEFINED IN OR NOT DEFINED OUT OR NOT DEFINED NAME)
  message(FATAL_ERROR "embed.cmake needs -DIN=<catalog.txt> -DOUT=<file.c> -DNAME=<lang>")
endif()
if(NOT NAME MATCHES "^[a-z][a-z]$")
  message(FATAL_ERROR "embed.cmake: NAME must be a two-letter language code, got '${NAME}'")
endif()
file(SIZE "${IN}" size)
# The parser's own bound is 64 KiB of unescaped text; refuse absurd inputs here already.
if(size GREATER 1048576)
  message(FATAL_ERROR "embed.cmake: ${IN} is ${size} bytes, over the 1 MiB limit")
endif()
get_filename_component(in_name "${IN}" NAME)
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# 16 bytes (80 characters) per line keeps the generated file readable in a debugger.
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n    " bytes "${bytes}")
set(text "/* Generated from dialogs/i18n/${in_name} by dialogs/i18n/embed.cmake: do not edit. */
#include \"dialogs/i18n_int.h\"

/* The catalog's bytes followed by one NUL (so an empty catalog is still a valid array). */
const unsigned char dlg__catalog_${NAME}[] = {
    ${bytes}0x00};
const size_t dlg__catalog_${NAME}_len = sizeof(dlg__catalog_${NAME}) - 1;
")
# Rewrite only on change so that an unchanged catalog does not force a rebuild.
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL text)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${text}")
