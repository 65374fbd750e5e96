// Maps the benchmarks' neutral names onto zmsg or, with BENCH_LIBZMQ
// defined, onto libzmq, so that both libraries run the very same code.
//
// B(send)(s, buf, n, 0) is zmsg_send or zmq_send; BC(PUSH) is ZMSG_PUSH or
// ZMQ_PUSH; B(msg_t) is the message type. BENCH_LIB names the library in
// the tools' output.

#ifndef BENCH_API_H_INCLUDED
#define BENCH_API_H_INCLUDED

#ifdef BENCH_LIBZMQ
#include <zmq.h>
#define B(x) zmq_##x
#define BC(x) ZMQ_##x
#define BENCH_LIB "libzmq"
#else
#include <zmsg.h>
#define B(x) zmsg_##x
#define BC(x) ZMSG_##x
#define BENCH_LIB "zmsg"
#endif

#endif // BENCH_API_H_INCLUDED
