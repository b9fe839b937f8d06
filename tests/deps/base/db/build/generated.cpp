// Inside a build tree (db/build/): skipped.
#include "cli/main.h"
