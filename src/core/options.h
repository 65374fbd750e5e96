// Socket options: one table says each option's type, size, range and
// default; set and get are generic over it. Used on the socket's thread;
// I/O objects get a copy taken when they are created.

#ifndef ZMI_OPTIONS_H
#define ZMI_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#define ZMI_ROUTING_ID_MAX 255
#define ZMI_ENDPOINT_MAX 256

// Defaults that differ from libzmq, and why (README, "Defaults").
#define ZMI_LINGER_DEFAULT 1000                   // libzmq: -1 (forever)
#define ZMI_MAXMSGSIZE_DEFAULT (256LL << 20)      // libzmq: -1 (no limit)

typedef struct zmi_options {
    int type;                 // ZMSG_TYPE (read-only)
    int sndhwm;               // messages; 0 no limit
    int rcvhwm;
    int linger;               // ms; -1 forever
    int rcvtimeo;             // ms; -1 forever
    int sndtimeo;
    int reconnect_ivl;        // ms; -1 no reconnect
    int reconnect_ivl_max;    // ms; 0: no backoff
    int backlog;              // listen(2) backlog
    int64_t maxmsgsize;       // bytes; -1 no limit
    int sndbuf;               // SO_SNDBUF; -1 OS default
    int rcvbuf;               // SO_RCVBUF
    int tcp_keepalive;        // -1 OS default, 0 off, 1 on
    int tcp_keepalive_cnt;
    int tcp_keepalive_idle;
    int tcp_keepalive_intvl;
    int immediate;            // 1: queue only to completed connections
    int ipv6;                 // 1: IPv6 sockets (dual stack)
    int req_correlate;
    int req_relaxed;
    int conflate;
    int handshake_ivl;        // ms; 0 no limit
    int invert_matching;
    int heartbeat_ivl;        // ms; 0 off
    int heartbeat_ttl;        // ms
    int heartbeat_timeout;    // ms; -1 same as ivl
    int connect_timeout;      // ms; 0 OS default
    int req_resend_ivl;       // ms; 0 off (zmsg extension)
    uint8_t routing_id[ZMI_ROUTING_ID_MAX]; // ZMSG_ROUTING_ID
    size_t routing_id_size;
    char last_endpoint[ZMI_ENDPOINT_MAX];   // ZMSG_LAST_ENDPOINT
} zmi_options_t;

void zmi_options_init(zmi_options_t *o, int type);
// Sets an option held in the table. Returns 0, -EINVAL (unknown option,
// wrong size, out of range) or -ENOTSUP for options handled elsewhere
// (the socket calls the pattern for those).
int zmi_options_set(zmi_options_t *o, int option, const void *val,
                    size_t len);
// Reads an option; *len is in/out. Returns 0 or -EINVAL.
int zmi_options_get(const zmi_options_t *o, int option, void *val,
                    size_t *len);

#endif
