#include "core/log.h"
#include "db/pool.h"
#include "features/calendar.h"
#include "registry/mlflow.h"

int main() { return voltedge::features::day_kind(1); }
