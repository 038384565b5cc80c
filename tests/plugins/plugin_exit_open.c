/* calls _exit(3) in open */
#define FAULT_EXIT_OPEN 1
#include "fault.h"
