/* the fault backend without a fault (baseline) */

#include "fault.h"
