/* built for a future backend ABI */
#define FAULT_ABI_VERSION 2u
#include "fault.h"
