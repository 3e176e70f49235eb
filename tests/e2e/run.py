"""run.py — runs every tests/e2e/test_*.py with unittest and writes
"passed failed skipped" to --summary for tests/run.sh. The backend is
LUCIA_TEST_BACKEND (sqlite or postgres; see harness.py)."""
import argparse
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--summary")
    ap.add_argument("patterns", nargs="*", help="unittest -k patterns")
    args = ap.parse_args()
    import harness
    harness.install_cleanup()
    print("e2e backend: %s" % harness.BACKEND, flush=True)
    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = ["*%s*" % p for p in args.patterns]
    suite = loader.discover(here, pattern="test_*.py", top_level_dir=here)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = max(0, result.testsRun - failed - len(result.skipped))
    print("e2e (%s): %d passed, %d failed, %d skipped"
          % (harness.BACKEND, passed, failed, len(result.skipped)))
    if args.summary:
        with open(args.summary, "w") as f:
            f.write("%d %d %d\n" % (passed, failed, len(result.skipped)))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
