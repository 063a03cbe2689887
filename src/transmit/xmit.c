#include "transmit/xmit.h"
int xmit_placeholder_(void);
int xmit_placeholder_(void) { return 0; }
