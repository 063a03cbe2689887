#include "flow/flow.h"
int flow_placeholder_(void);
int flow_placeholder_(void) { return 0; }
