#include "db/pool.h"
