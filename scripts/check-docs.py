#!/usr/bin/env python3
"""Checks the documentation: README.md and docs/*.md.

usage: scripts/check-docs.py [--plugin-path DIR] [--require-plugin]

1. Every relative link [text](path) and image ![alt](path) resolves to an
   existing file or directory (relative to the file it is in; http(s),
   mailto and other URLs are ignored; links in code are ignored). A link with
   an anchor (#anchor, or file.md#anchor) must name a heading of its target
   file, by GitHub's slug rule: lowercase, characters other than letters,
   digits, spaces, hyphens and underscores dropped, spaces to hyphens (a
   repeated heading gets -1, -2, ...).
2. README.md has at most 250 lines.
3. When gst-inspect-1.0 is available and the plugin loads (run with
   GST_PLUGIN_PATH set to --plugin-path when given), every property that
   `gst-inspect-1.0 gncycleganir` lists for the element, except the inherited
   `name`, `parent` (GstObject) and `qos` (GstBaseTransform), appears in
   backticks in docs/element.md and in README.md's property table. When the
   plugin cannot be inspected, the check is skipped with a note (a problem
   with --require-plugin).

Prints one line per problem, "FILE:LINE: what is wrong", then
"docs: N files, M links checked, K properties checked: OK" (or ": P problems").
Exit status: 0 when there is no problem, 1 otherwise. Standard library only.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = "README.md"
ELEMENT_DOC = os.path.join("docs", "element.md")
MAX_README_LINES = 250
ELEMENT = "gncycleganir"

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](dest "title") or ![alt](dest); text may hold one level of brackets.
LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]"
    r"\(\s*(<[^>]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)")
ATX_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
SETEXT_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
HTML_ANCHOR = re.compile(r"""<a\s[^>]*\b(?:name|id)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class Problems:
    def __init__(self):
        self.lines = []

    def add(self, path, line, message):
        self.lines.append(f"{os.path.relpath(path, ROOT)}:{line}: {message}")


def read_lines(path):
    with open(path, encoding="utf-8") as file:
        return file.read().splitlines()


def prose_lines(lines):
    """(line number, text) of the lines outside fenced code blocks."""
    fence = None
    for number, line in enumerate(lines, 1):
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence = match.group(1)
                continue
            yield number, line
        elif match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
            fence = None


def heading_text(raw):
    """A heading as GitHub renders it into text: links to their text, code and emphasis markers gone."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", raw)
    text = re.sub(r"<[^>]+>", "", text)
    return text.replace("`", "").replace("*", "")


def slug(text):
    kept = "".join(c for c in heading_text(text).strip().lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


_anchors = {}


def anchors_of(path):
    """Every anchor GitHub makes for a Markdown file's headings (and explicit HTML anchors)."""
    if path not in _anchors:
        found, seen = set(), {}
        lines = list(prose_lines(read_lines(path)))
        for index, (_, line) in enumerate(lines):
            texts = []
            match = ATX_HEADING.match(line)
            if match:
                texts.append(match.group(2))
            elif (index + 1 < len(lines) and line.strip() and not line.lstrip().startswith("|")
                  and SETEXT_UNDERLINE.match(lines[index + 1][1]) and lines[index + 1][0] == lines[index][0] + 1):
                texts.append(line)
            for text in texts:
                base = slug(text)
                count = seen.get(base, 0)
                seen[base] = count + 1
                found.add(base if count == 0 else f"{base}-{count}")
            found.update(HTML_ANCHOR.findall(line))
        _anchors[path] = found
    return _anchors[path]


def check_links(path, problems):
    """Checks every link of one Markdown file; returns how many were checked."""
    checked = 0
    for number, line in prose_lines(read_lines(path)):
        text = INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)
        targets = [m.group(1) for m in LINK.finditer(text)]
        definition = REFERENCE_DEFINITION.match(text)
        if definition:
            targets.append(definition.group(1))
        for target in targets:
            target = target.strip()
            if target.startswith("<") and target.endswith(">"):
                target = target[1:-1].strip()
            if not target or SCHEME.match(target) or target.startswith("//"):
                continue  # http(s), mailto and other URLs
            checked += 1
            location, _, anchor = target.partition("#")
            location = urllib.parse.unquote(location)
            if location:
                base = ROOT if location.startswith("/") else os.path.dirname(path)
                resolved = os.path.normpath(os.path.join(base, location.lstrip("/")))
                if not os.path.exists(resolved):
                    problems.add(path, number, f"broken link: {target} ({os.path.relpath(resolved, ROOT)} does not exist)")
                    continue
            else:
                resolved = path
            if anchor and os.path.isfile(resolved) and resolved.lower().endswith((".md", ".markdown")):
                anchor = urllib.parse.unquote(anchor)
                if anchor not in anchors_of(resolved):
                    where = "" if resolved == path else f" in {os.path.relpath(resolved, ROOT)}"
                    problems.add(path, number, f"broken anchor: {target} (no heading with slug '{anchor}'{where})")
    return checked


def inspect_properties(plugin_path):
    """The element's own property names from gst-inspect-1.0, or (None, why) when it cannot be inspected."""
    tool = shutil.which("gst-inspect-1.0")
    if tool is None:
        return None, "gst-inspect-1.0 is not installed"
    environment = dict(os.environ)
    if plugin_path:
        environment["GST_PLUGIN_PATH"] = plugin_path
    try:
        result = subprocess.run([tool, ELEMENT], env=environment, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"gst-inspect-1.0 {ELEMENT} failed: {error}"
    if result.returncode != 0 or "Element Properties:" not in result.stdout:
        detail = (result.stderr or result.stdout).strip().splitlines()
        return None, f"gst-inspect-1.0 {ELEMENT} cannot load the element" + (f" ({detail[-1]})" if detail else "")
    names, inside = [], False
    for line in result.stdout.splitlines():
        if line.startswith("Element Properties:"):
            inside = True
            continue
        if not inside:
            continue
        if line.strip() and not line.startswith(" "):
            break  # the next block (Element Signals:, ...)
        match = re.match(r"^  ([A-Za-z][A-Za-z0-9_-]*)\s*: ", line)
        if match:
            names.append(match.group(1))
    inherited = {"name", "parent"}  # GstObject's
    if re.search(r"\+-+GstBaseTransform\b", result.stdout):
        inherited.add("qos")  # GstBaseTransform's
    return [name for name in names if name not in inherited], None


def property_table_names(path):
    """Backticked names in the first column of README.md's property table, and the table's first line."""
    names, start, in_table = set(), None, False
    for number, line in prose_lines(read_lines(path)):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.lstrip().startswith("|") else None
        if cells is None:
            in_table = False
            continue
        if not in_table:
            in_table = True
            header = cells[0].lower()
            table_is_properties = header in ("property", "properties", "name")
            if table_is_properties and start is None:
                start = number
            continue
        if table_is_properties:
            names.update(re.findall(r"`([^`]+)`", cells[0]))
    return names, start


def main():
    parser = argparse.ArgumentParser(description="Checks README.md and docs/*.md: links, anchors, length, properties.")
    parser.add_argument("--plugin-path", metavar="DIR", help="the directory holding libgstgncycleganir.so (GST_PLUGIN_PATH)")
    parser.add_argument("--require-plugin", action="store_true",
                        help="fail when the element cannot be inspected, rather than skip the property check")
    arguments = parser.parse_args()

    problems = Problems()
    readme = os.path.join(ROOT, README)
    docs = os.path.join(ROOT, "docs")
    files = [readme] if os.path.isfile(readme) else []
    if not files:
        problems.add(readme, 1, "missing")
    if os.path.isdir(docs):
        files += sorted(os.path.join(docs, name) for name in os.listdir(docs) if name.endswith(".md"))

    links = sum(check_links(path, problems) for path in files)

    if os.path.isfile(readme):
        count = len(read_lines(readme))
        if count > MAX_README_LINES:
            problems.add(readme, count, f"{count} lines: at most {MAX_README_LINES}")

    properties = 0
    plugin_path = os.path.abspath(arguments.plugin_path) if arguments.plugin_path else None
    names, why = inspect_properties(plugin_path)
    if names is None:
        message = f"property check skipped: {why}"
        if arguments.require_plugin:
            problems.add(readme, 1, message)
        else:
            print(f"note: {message}")
    else:
        element_doc = os.path.join(ROOT, ELEMENT_DOC)
        element_text = "\n".join(line for _, line in prose_lines(read_lines(element_doc))) if os.path.isfile(element_doc) else None
        if element_text is None:
            problems.add(element_doc, 1, "missing: it must document every property")
        table, table_line = property_table_names(readme) if os.path.isfile(readme) else (set(), None)
        if table_line is None and os.path.isfile(readme):
            problems.add(readme, 1, "no property table (a table whose first column is headed 'property')")
        heading = next((n for n, line in prose_lines(read_lines(element_doc))
                        if re.match(r"^#+\s+Properties\b", line)), 1) if element_text is not None else 0
        for name in names:
            properties += 1
            if element_text is not None and f"`{name}`" not in element_text:
                problems.add(element_doc, heading, f"property `{name}` (gst-inspect-1.0 {ELEMENT}) is not documented")
            if table_line is not None and name not in table:
                problems.add(readme, table_line, f"property `{name}` (gst-inspect-1.0 {ELEMENT}) is missing from the property table")

    for line in problems.lines:
        print(line)
    summary = f"docs: {len(files)} files, {links} links checked, {properties} properties checked"
    if problems.lines:
        print(f"{summary}: {len(problems.lines)} problem{'s' if len(problems.lines) != 1 else ''}")
        return 1
    print(f"{summary}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
