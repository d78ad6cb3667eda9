#!/usr/bin/env python3
# SPDX-License-Identifier: AGPL-3.0-or-later
"""Function-length check run by `make test` (issue 16, item 5).

Fails (exit 1, one line `file:line: NAME is N lines (limit L)` per function) when a function in src/ is longer
than 150 lines, or longer than 100 lines in src/api, src/store and src/detect. A function's length runs from the
line of its name (or of the `[` of a lambda) to the line of its closing brace, blank and comment lines included.

What counts as a function: every brace-delimited body that is not nested inside another function's body —
free functions, member functions (also those defined inside a class in a header), constructors with
initializer lists, GoogleTest bodies (`TEST(...) { ... }`) and lambdas outside a function (in a namespace-scope
table or a class member initializer). A lambda inside a function counts as part of that function. The scan is
lexical (comments, string and character literals, raw strings and preprocessor lines are blanked first), so it
needs no build; `--self-test` plants one example of each construct and checks what is reported.

Usage: function_length.py [ROOT] | function_length.py --self-test"""
import os
import re
import sys
import tempfile

DEFAULT_LIMIT = 150
STRICT_LIMIT = 100
STRICT_MODULES = ('api', 'store', 'detect')
SUFFIXES = ('.cc', '.h', '.cpp', '.hpp')


# What blank() removes, in the order the alternatives are tried at each position. A number comes first so the
# ' of a digit separator (1'000'000, C++14) is not read as the start of a character literal.
LEXEMES = re.compile(
    r"""(?P<number>\b\d[\w'.]*)"""
    r"""|(?P<line_comment>//[^\n]*)"""
    r"""|(?P<block_comment>/\*.*?(\*/|\Z))"""
    r"""|(?P<raw>(?<!\w)(u8|u|U|L)?R"(?P<delimiter>[^()\\\s]{0,16})\(.*?\)(?P=delimiter)")"""
    r"""|(?P<string>"(\\.|[^"\\\n])*")"""
    r"""|(?P<char>'(\\.|[^'\\\n])*')"""
    r"""|(?P<directive>^[ \t]*\#([^\n\\]|\\.)*)""", re.S | re.M)


def blank(text):
    """Same text with comments, literals and preprocessor lines replaced by spaces (newlines kept)."""
    def spaces(m):
        return m.group(0) if m.group('number') else re.sub(r'[^\n]', ' ', m.group(0))
    return LEXEMES.sub(spaces, text)


SCOPE = re.compile(r'(\bnamespace\b[\w:\s]*|\bextern\s*"\s*"\s*|\b(class|struct|union|enum)\b[^()=]*)$')
# `) {`, `) const override {`, `) noexcept -> std::vector<int> {`, `) mutable {`
FUNCTION = re.compile(r'\)\s*((const|volatile|noexcept|override|final|mutable|&|&&)\s*)*(->[^;{}=]*)?$')
LAMBDA = re.compile(r'(^|[=(,{}?:]|\breturn)\s*(\[[^\[\]]*\])\s*(\([^()]*(\([^()]*\)[^()]*)*\))?\s*'
                    r'((mutable|constexpr|noexcept)\s*)*(->[^;{}=]*)?$')
# The `{` of a member initializer: `Foo::Foo(int a) : a_{` (the body's `{` comes after its `}`).
MEMBER_INIT = re.compile(r'\)\s*(noexcept\s*)?:(?!:)[^;{}]*[\w>]\s*$')


NAME = re.compile(r'((operator\s*(\(\)|[^\w\s(]+)|[~\w][\w:~<>]*)\s*)$')


def head_of(s, p):
    """Text of the statement a `{` at p closes: from the previous `;`, `{` or `}`."""
    start = max(s.rfind(';', 0, p), s.rfind('{', 0, p), s.rfind('}', 0, p)) + 1
    return start, s[start:p]


def name_before(s, close_paren):
    """Name of the function whose parameter list ends at close_paren, and where it starts."""
    depth, j = 0, close_paren
    while j >= 0:
        if s[j] == ')':
            depth += 1
        elif s[j] == '(':
            depth -= 1
            if depth == 0:
                break
        j -= 1
    m = NAME.search(s, max(j - 300, 0), max(j, 0))  # a name is never longer: no quadratic search of the file
    if not m:
        return None, close_paren
    name = m.group(2) or m.group(1).strip()
    if re.fullmatch(r'(TYPED_)?TEST(_F|_P)?', name):
        return name + re.sub(r'\s+', ' ', s[j:close_paren + 1]), m.start(1)
    return name, m.start(1)


def functions(text):
    """(first line, last line, name) of every function body not nested in another function."""
    s = blank(text)
    found, stack = [], []  # stack entries: [kind, name, start offset]
    last_closed = None  # kind of the brace closed last, to follow `: a_{x}, b_{y} {` chains
    last_closed_end = -1
    pending = None  # (name, start) of a constructor whose member initializers are being read
    for m in re.finditer(r'[{}]', s):
        p = m.start()
        if s[p] == '}':
            if not stack:
                continue
            kind, name, start = stack.pop()
            if kind == 'function' and all(k != 'function' for k, _, _ in stack):
                found.append((s.count('\n', 0, start) + 1, s.count('\n', 0, p) + 1, name))
            last_closed, last_closed_end = kind, p
            continue
        head_start, head = head_of(s, p)
        kind, name, start = 'block', None, p
        after_init = last_closed == 'member-init' and last_closed_end == head_start - 1
        if after_init and (head.strip() == '' or head.rstrip().endswith(')')):
            kind, (name, start) = 'function', pending
        elif after_init and head.lstrip().startswith(','):
            kind = 'member-init'
        elif SCOPE.search(head):
            kind = 'scope'
        elif MEMBER_INIT.search(head):
            colon = head_start + MEMBER_INIT.search(head).start()
            kind, pending = 'member-init', name_before(s, colon)
        elif LAMBDA.search(head):
            kind, name, start = 'function', 'lambda', head_start + LAMBDA.search(head).start(2)
        elif FUNCTION.search(head):
            kind = 'function'
            name, start = name_before(s, head_start + FUNCTION.search(head).start())
            if name is None:
                name, start = 'function', p
        stack.append([kind, name, start])
        last_closed = None
    return found


def limit_for(relative_path):
    return STRICT_LIMIT if relative_path.split('/')[0] in STRICT_MODULES else DEFAULT_LIMIT


def problems(src_root, display_prefix='src/'):
    found = []
    for directory, dirs, names in os.walk(src_root):
        dirs.sort()
        for file_name in sorted(names):
            if not file_name.endswith(SUFFIXES):
                continue
            path = os.path.join(directory, file_name)
            relative = os.path.relpath(path, src_root).replace(os.sep, '/')
            limit = limit_for(relative)
            text = open(path, encoding='utf-8', errors='replace').read()
            for first, last, name in functions(text):
                length = last - first + 1
                if length > limit:
                    found.append(f'{display_prefix}{relative}:{first}: {name} is {length} lines (limit {limit})')
    return found


def self_test():
    """Plants functions just over and just under each limit, in each construct the scan must see."""
    def body(lines):
        return ''.join(f'  x += {i};\n' for i in range(lines - 2))  # plus the name and closing-brace lines

    cases = {
        # file: (text, the names that must be reported)
        'sim/free.cc': ('int Long() {\n' + body(151) + '}\nint Fits() {\n' + body(150) + '}\n', ['Long is 151']),
        'api/strict.cc': ('void A::Long(int a,\n    int b) const {\n' + body(100) + '}\n'
                          'void A::Fits() {\n' + body(100) + '}\n', ['A::Long is 101']),
        'store/header.h': ('#pragma once\nnamespace v {\nclass C {\n public:\n  int Long() {\n' + body(101) +
                           '}\n};\n}  // namespace v\n', ['Long is 101']),
        'detect/ctor.cc': ('C::C(int a) : a_{a}, b_(a),\n    c_{a} {\n' + body(100) + '}\n', ['C::C is 101']),
        'detect/lambda.cc': ('const auto kTable = std::vector<F>{\n  [](int a) {\n' + body(101) + '  },\n};\n'
                             'auto kOther = [] {\n' + body(101) + '};\n', ['lambda is 101', 'lambda is 101']),
        'detect/test_body.cc': ('TEST(Suite, Long) {\n' + body(101) + '}\n', ['TEST(Suite, Long) is 101']),
        # Braces in comments, literals, raw strings and macros must not end a function early or start one.
        'mrt/literals.cc': ('int Tricky() {\n  char c = \'}\';  // }\n  const char* s = "}}";\n'
                            '  const char* r = R"x(}\n}\n)x";\n#define CLOSE }\n  /* } */ int n = 1\'000;\n'
                            '  if (n > 1\'000) { n = 2\'000; }\n' + body(143) + '}\n', ['Tricky is 151']),
        # A lambda inside a function is part of it, not a function of its own.
        'sim/nested.cc': ('void Outer() {\n  auto f = [] {\n' + body(151) + '  };\n' + body(5) + '}\n',
                          ['Outer is 156']),
    }
    with tempfile.TemporaryDirectory() as root:
        for path, (text, _) in cases.items():
            os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(root, path), 'w') as f:
                f.write(text)
        got = problems(root)
    want = [(path, name) for path, (_, names) in cases.items() for name in names]
    missing = [w for w in want if not any(p.startswith('src/' + w[0] + ':') and f' {w[1]} lines' in p for p in got)]
    if missing or len(got) != len(want):
        print('self-test failed: wanted', want)
        print('got', got)
        return 1
    print(f'self-test: the {len(want)} planted long functions were reported and nothing else')
    return 0


def main():
    if sys.argv[1:] == ['--self-test']:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = problems(os.path.join(root, 'src'))
    for problem in found:
        print(problem)
    if found:
        print(f'{len(found)} function(s) too long: at most {DEFAULT_LIMIT} lines in src, {STRICT_LIMIT} in '
              + ', '.join(f'src/{m}' for m in STRICT_MODULES) + '; split them into functions that do one thing')
        return 1
    print(f'function length: no function over {DEFAULT_LIMIT} lines in src, none over {STRICT_LIMIT} in '
          + ', '.join(f'src/{m}' for m in STRICT_MODULES))
    return 0


if __name__ == '__main__':
    sys.exit(main())
