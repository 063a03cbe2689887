/* flow_int.h - shared by the files of src/flow only. */
#ifndef LIASSE_FLOW_INT_H
#define LIASSE_FLOW_INT_H

/* xmlInitParser() exactly once per process, thread-safely. */
void flow_xml_init(void);

#endif
