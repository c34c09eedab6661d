/* The web port's libmicrohttpd callbacks (cls is the struct gateway). */
#ifndef MG_WEB_WEB_API_H
#define MG_WEB_WEB_API_H

#include <microhttpd.h>

enum MHD_Result mg_web_handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls);
void mg_web_request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			      enum MHD_RequestTerminationCode toe);

#endif
