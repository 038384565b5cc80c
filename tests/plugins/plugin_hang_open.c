/* never returns from open */
#define FAULT_HANG_OPEN 1
#include "fault.h"
