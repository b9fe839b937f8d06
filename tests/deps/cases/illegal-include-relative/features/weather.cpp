#include "features/calendar.h"
#include "../registry/mlflow.h"
