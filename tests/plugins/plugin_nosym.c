/* exports the wrong init symbol */
#define FAULT_INIT_SYMBOL uh_backend_initialise
#include "fault.h"
