/* placeholder */
#ifndef LIASSE_FLOW_H
#define LIASSE_FLOW_H
#endif
