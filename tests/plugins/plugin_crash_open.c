/* SIGSEGV in open */
#define FAULT_CRASH_OPEN 1
#include "fault.h"
