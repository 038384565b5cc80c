/* generate returns NULL text */
#define FAULT_GEN GF_NULLTEXT
#include "fault.h"
