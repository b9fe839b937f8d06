#include "cli/main.h"
#include "db/pool.h"
int main() { return 0; }
