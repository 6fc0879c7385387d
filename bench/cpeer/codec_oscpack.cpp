//go:build cgo && linux && !nocpeer

// oscpack's side of the codec benchmarks, through its public API only.
#include <cstring>

#include <oscpack/osc/OscOutboundPacketStream.h>
#include <oscpack/osc/OscReceivedElements.h>

#include "cpeer.h"

namespace {

const char bench_addr[] = "/synth/1/freq";
const char bench_blob[16] = {'0', '1', '2', '3', '4', '5', '6', '7',
                             '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

void write_message(osc::OutboundPacketStream &p)
{
	p << osc::BeginMessage(bench_addr) << static_cast<osc::int32>(440) << 0.5f << "hello"
	  << osc::Blob(bench_blob, sizeof bench_blob) << osc::EndMessage;
}

// read_message reads every argument: a switch on the type tag, then the
// checked accessor (which throws on a type mismatch), as osckit's
// benchmark switches on Arg.Type and calls the accessor that returns ok.
long read_message(const osc::ReceivedMessage &m)
{
	long s = 0;
	for (osc::ReceivedMessage::const_iterator a = m.ArgumentsBegin(); a != m.ArgumentsEnd(); ++a) {
		switch (a->TypeTag()) {
		case osc::INT32_TYPE_TAG:
			s += a->AsInt32();
			break;
		case osc::FLOAT_TYPE_TAG:
			s += static_cast<long>(a->AsFloat());
			break;
		case osc::STRING_TYPE_TAG:
			s += static_cast<long>(std::strlen(a->AsString()));
			break;
		case osc::BLOB_TYPE_TAG: {
			const void *data;
			osc::osc_bundle_element_size_t size;
			a->AsBlob(data, size);
			s += static_cast<long>(size);
			break;
		}
		default:
			break;
		}
	}
	return s;
}

long read_bundle(const osc::ReceivedBundle &b)
{
	long s = 0;
	for (osc::ReceivedBundle::const_iterator e = b.ElementsBegin(); e != b.ElementsEnd(); ++e) {
		if (e->IsBundle())
			s += read_bundle(osc::ReceivedBundle(*e));
		else
			s += read_message(osc::ReceivedMessage(*e));
	}
	return s;
}

} // namespace

// Streams the message into out, n times.
long cp_opk_encode(long n, void *out, long cap)
{
	long last = -1;
	try {
		for (long i = 0; i < n; i++) {
			osc::OutboundPacketStream p(static_cast<char *>(out), static_cast<std::size_t>(cap));
			write_message(p);
			last = static_cast<long>(p.Size());
		}
	} catch (const osc::Exception &) {
		return -1;
	}
	return last;
}

// Streams a bundle timed "immediately" holding eight such messages.
long cp_opk_encode_bundle8(long n, void *out, long cap)
{
	long last = -1;
	try {
		for (long i = 0; i < n; i++) {
			osc::OutboundPacketStream p(static_cast<char *>(out), static_cast<std::size_t>(cap));
			p << osc::BeginBundleImmediate;
			for (int k = 0; k < 8; k++)
				write_message(p);
			p << osc::EndBundle;
			last = static_cast<long>(p.Size());
		}
	} catch (const osc::Exception &) {
		return -1;
	}
	return last;
}

// Parses the message (ReceivedPacket, ReceivedMessage) and reads every
// argument, n times.
long cp_opk_decode(const void *pkt, long size, long n)
{
	long sum = 0;
	try {
		for (long i = 0; i < n; i++) {
			osc::ReceivedPacket p(static_cast<const char *>(pkt), static_cast<osc::osc_bundle_element_size_t>(size));
			if (!p.IsMessage())
				return -1;
			sum += read_message(osc::ReceivedMessage(p));
		}
	} catch (const osc::Exception &) {
		return -1;
	}
	return sum;
}

// Parses the bundle (ReceivedBundle, then a ReceivedMessage per element)
// and reads every argument of every message, n times.
long cp_opk_decode_bundle(const void *pkt, long size, long n)
{
	long sum = 0;
	try {
		for (long i = 0; i < n; i++) {
			osc::ReceivedPacket p(static_cast<const char *>(pkt), static_cast<osc::osc_bundle_element_size_t>(size));
			if (!p.IsBundle())
				return -1;
			sum += read_bundle(osc::ReceivedBundle(p));
		}
	} catch (const osc::Exception &) {
		return -1;
	}
	return sum;
}
