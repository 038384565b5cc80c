/* generate returns more tokens than max_new_tokens */
#define FAULT_GEN GF_OVERLEN
#include "fault.h"
