#include "core/log.h"

#include "db/pool.h"
