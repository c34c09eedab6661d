/* The device port's libmicrohttpd callbacks (cls is the struct gateway). */
#ifndef MG_WEB_DEVICE_API_H
#define MG_WEB_DEVICE_API_H

#include <microhttpd.h>

enum MHD_Result mg_device_handler(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls);
void mg_device_request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
				 enum MHD_RequestTerminationCode toe);
void mg_device_connection_notify(void *cls, struct MHD_Connection *c, void **socket_context,
				 enum MHD_ConnectionNotificationCode code);

#endif
