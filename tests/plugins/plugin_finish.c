/* generate returns an unknown finish reason */
#define FAULT_GEN GF_FINISH
#include "fault.h"
