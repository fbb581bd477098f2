# Type stub: Home Assistant (since 2026.9) registers probatio's voluptuous shim under the name
# "voluptuous" when it is imported, so at run time `import voluptuous as vol` is probatio. This stub
# tells mypy the same, instead of the unrelated voluptuous 0.16 that the test harness also installs.
from probatio import *  # noqa: F403
