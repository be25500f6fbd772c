#!/usr/bin/env python3
"""Prints what a `meson test` run did, test by test: each skipped test with its
reason, each failed one, and a closing line "N passed, N failed, N skipped".
Exits non-zero when a test failed or none ran.

usage: test-summary.py BUILD_DIR [LABEL]   (LABEL: one word, default "tests")
"""
import glob
import os
import sys
import xml.etree.ElementTree as ElementTree


def main(build_dir, label="tests"):
    # The newest run's log: meson names it testlog-WRAPPER when tests run under --wrapper.
    logs = glob.glob(f"{build_dir}/meson-logs/testlog*.junit.xml")
    if not logs:
        sys.exit(f"test-summary.py: no meson test log in {build_dir}/meson-logs: did the tests run?")
    root = ElementTree.parse(max(logs, key=os.path.getmtime)).getroot()
    passed, failed, skipped = 0, [], []
    for case in root.iter("testcase"):
        name = f"{case.get('classname')}.{case.get('name')}"
        if case.find("skipped") is not None:
            reason = case.find("skipped").get("message", "").splitlines()
            skipped.append(f"{name}: {reason[-1] if reason else 'skipped'}")
        elif case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
        else:
            passed += 1
    for line in skipped:
        print(f"  skipped {line}")
    for name in failed:
        print(f"  FAILED  {name}")
    print(f"{label}: {passed} passed, {len(failed)} failed, {len(skipped)} skipped")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
