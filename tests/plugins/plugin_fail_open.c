/* open returns an error with a message */
#define FAULT_FAIL_OPEN 1
#include "fault.h"
