/* placeholder */
#ifndef LIASSE_XMIT_H
#define LIASSE_XMIT_H
#endif
