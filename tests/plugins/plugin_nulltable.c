/* init returns NULL */
#define FAULT_INIT_NULL 1
#include "fault.h"
