# SPDX-License-Identifier: AGPL-3.0-or-later
# Writes OUTPUT, a C++ source holding every migrations/NNNN_*.sql file of MIGRATIONS_DIR as a string constant,
# in file-name order, so that the binary carries its schema (run at build time; see CMakeLists.txt).
file(GLOB sql_files "${MIGRATIONS_DIR}/[0-9][0-9][0-9][0-9]_*.sql")
list(SORT sql_files)
set(body "")
set(expected 1)
foreach(file ${sql_files})
  get_filename_component(name "${file}" NAME)
  string(SUBSTRING "${name}" 0 4 number)
  math(EXPR number "${number}")
  if(NOT number EQUAL expected)
    message(FATAL_ERROR "migration ${name}: expected number ${expected} (no gaps, no duplicates)")
  endif()
  math(EXPR expected "${expected} + 1")
  file(READ "${file}" sql)
  string(APPEND body "    {\"${name}\", R\"vigil_sql(${sql})vigil_sql\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
"// Generated from src/store/migrations/*.sql by embed_migrations.cmake. Do not edit.\n"
"#include \"store/migrations.h\"\n\n"
"namespace vigil::store {\n\n"
"const std::vector<Migration>& Migrations() {\n"
"  static const std::vector<Migration> kMigrations = {\n${body}  };\n"
"  return kMigrations;\n"
"}\n\n"
"}  // namespace vigil::store\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
