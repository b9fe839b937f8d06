#include "db/pool.h"
#include "features/calendar.h"
int main() { return 0; }
