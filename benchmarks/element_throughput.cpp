// The gncycleganir element's throughput in a pipeline that feeds it as fast as
// its source can and discards the result as fast as it comes:
//
//   SOURCE ! gncycleganir ! video/x-raw,format=GRAY8 ! fakesink sync=false
//
//   bench-element SOURCE MODEL THREADS [DEVICE [PRECISION [PROPERTIES]]]
//   SOURCE is a gst-launch description, e.g. 'filesrc location=clip.avi ! decodebin';
//   PROPERTIES more of the element's, e.g. 'cuda-graph=false'
//   prints: frames/s (from the median time between frames, after the first
//   two) and the element's mean-latency property in ms
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <gst/gst.h>

namespace {

using Clock = std::chrono::steady_clock;

GstPadProbeReturn record_arrival(GstPad *, GstPadProbeInfo *, gpointer arrivals) {
  static_cast<std::vector<Clock::time_point> *>(arrivals)->push_back(Clock::now());
  return GST_PAD_PROBE_OK;
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  if (argc < 4 || argc > 7) {
    std::fprintf(stderr, "usage: bench-element SOURCE MODEL THREADS [DEVICE [PRECISION [PROPERTIES]]]\n");
    return 2;
  }
  const std::string description = std::string(argv[1]) + " ! gncycleganir name=ir model=\"" + argv[2] +
                                   "\" num-threads=" + argv[3] + " device=" + (argc > 4 ? argv[4] : "cpu") +
                                   " precision=" + (argc > 5 ? argv[5] : "fp32") + " " + (argc > 6 ? argv[6] : "") +
                                   " ! video/x-raw,format=GRAY8 ! fakesink name=sink sync=false";
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
  if (!pipeline) {
    std::fprintf(stderr, "bench-element: %s\n", error ? error->message : "cannot build the pipeline");
    return 1;
  }
  std::vector<Clock::time_point> arrivals;
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstPad *pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, record_arrival, &arrivals, nullptr);
  gst_object_unref(pad);
  gst_object_unref(sink);

  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *message =
      gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  int status = 0;
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    gst_message_parse_error(message, &error, nullptr);
    std::fprintf(stderr, "bench-element: %s\n", error->message);
    g_clear_error(&error);
    status = 1;
  } else if (arrivals.size() < 4) {
    std::fprintf(stderr, "bench-element: only %zu frames arrived; give the source more\n", arrivals.size());
    status = 1;
  } else {
    GstElement *element = gst_bin_get_by_name(GST_BIN(pipeline), "ir");
    gdouble latency = 0;
    g_object_get(element, "mean-latency", &latency, nullptr);
    gst_object_unref(element);
    std::vector<double> gaps;
    for (size_t i = 3; i < arrivals.size(); ++i)
      gaps.push_back(std::chrono::duration<double>(arrivals[i] - arrivals[i - 1]).count());
    std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
    std::printf("%.3f %.2f\n", 1 / gaps[gaps.size() / 2], latency);
  }
  gst_message_unref(message);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return status;
}
