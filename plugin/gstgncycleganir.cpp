/**
 * SECTION:element-gncycleganir
 * @title: gncycleganir
 *
 * Turns visible video into synthetic infrared video with a GN-CycleGAN
 * generator (Yi et al., Applied Sciences 2023), on a CUDA GPU when there is
 * one and on the CPU otherwise. Accepts the raw formats cameras and decoders
 * emit and produces gray (GRAY8, GRAY16_LE) or false-colour video, so no
 * videoconvert is needed on either side. On the CPU it runs the generator with
 * OpenVINO (bf16 where the CPU has it) when the build has OpenVINO, and with a
 * live source it picks the inference size that keeps up with the frame rate.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 v4l2src ! gncycleganir ! autovideosink
 * gst-launch-1.0 v4l2src ! gncycleganir palette=ironbow ! autovideosink
 * gst-launch-1.0 v4l2src ! gncycleganir inference-width=320 inference-height=240 backend=libtorch ! autovideosink
 * gst-launch-1.0 filesrc location=in.mp4 ! decodebin ! gncycleganir ! x264enc ! mp4mux ! filesink location=ir.mp4
 * ]|
 *
 * On CUDA, with a build that has GStreamer's CUDA library, both pads also
 * take video/x-raw(memory:CUDAMemory): the element offers LibTorch's own CUDA
 * context to its neighbours, so that `nvh264dec ! gncycleganir ! nvh264enc`
 * reads and writes the decoder's and encoder's device memory in place.
 *
 * Elements in one process that are set up alike (model, device, backend,
 * precision, num-threads, cuda-graph, batch-size, batch-timeout) share one
 * loaded model, or those that name the same engine-id; with batch-size above 1
 * their frames run through it together (engine/shared_engine.h).
 */
#include "plugin/gstgncycleganir.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <regex>

#include <c10/util/Exception.h>

#include "engine/adaptive_size.h"
#include "engine/inference_engine.h"
#include "engine/shared_engine.h"
#include "engine/temporal_smoother.h"
#include "model/bundled_models.h"
#include "model/device.h"
#include "plugin/frame_conversion.h"
#include "plugin/palette.h"
#ifdef GNCYCLEGANIR_WITH_CUDA_MEMORY
#include <gst/cuda/gstcudabufferpool.h>
#include <gst/cuda/gstcudamemory.h>
#include <gst/cuda/gstcudautils.h>

#include "plugin/cuda_context.h"
#endif

GST_DEBUG_CATEGORY_STATIC(gst_gncycleganir_debug);
#define GST_CAT_DEFAULT gst_gncycleganir_debug

using gncycleganir::AdaptiveInferenceSize;
using gncycleganir::Backend;
using gncycleganir::BatchSettings;
using gncycleganir::EngineError;
using gncycleganir::EngineSettings;
using gncycleganir::FrameMemory;
using gncycleganir::InferenceEngine;
using gncycleganir::InferenceSize;
using gncycleganir::Palette;
using gncycleganir::Precision;
using gncycleganir::SharedEngine;

#define DEFAULT_DEVICE "auto"
#define DEFAULT_BACKEND GST_GNCYCLEGANIR_BACKEND_AUTO
#define DEFAULT_PRECISION GST_GNCYCLEGANIR_PRECISION_AUTO
#define DEFAULT_INFERENCE_SIZE 0
#define DEFAULT_PALETTE GST_GNCYCLEGANIR_PALETTE_WHITE_HOT
#define DEFAULT_NUM_THREADS 0
#define DEFAULT_CUDA_GRAPH TRUE
#define DEFAULT_TEMPORAL_SMOOTHING -1.0  // automatic
#define AUTOMATIC_TEMPORAL_SMOOTHING 0.9
#define MAX_TEMPORAL_SMOOTHING 0.95
#define MAX_INFERENCE_SIZE 8192
#define DEFAULT_BATCH_SIZE 1
#define MAX_BATCH_SIZE 64
#define DEFAULT_BATCH_TIMEOUT_MS 10

// The formats cameras and decoders emit, and those sinks and encoders take.
#define SINK_FORMATS "{ YUY2, NV12, I420, RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, GRAY8 }"
#define SRC_FORMATS "{ BGRx, RGBx, BGRA, RGBA, RGB, I420, NV12, YUY2, GRAY8, GRAY16_LE }"
#ifdef GNCYCLEGANIR_WITH_CUDA_MEMORY
// In CUDA memory: the formats NVIDIA's decoders, encoders and cudaconvert
// exchange.
#define CUDA_FORMATS "{ NV12, I420, BGRx, RGBx, BGRA, RGBA }"
#define CUDA_MEMORY_CAPS "; " GST_VIDEO_CAPS_MAKE_WITH_FEATURES(GST_CAPS_FEATURE_MEMORY_CUDA_MEMORY, CUDA_FORMATS)
#else
#define CUDA_MEMORY_CAPS ""
#endif

enum {
  PROP_0,
  PROP_MODEL,
  PROP_DEVICE,
  PROP_BACKEND,
  PROP_PRECISION,
  PROP_INFERENCE_WIDTH,
  PROP_INFERENCE_HEIGHT,
  PROP_PALETTE,
  PROP_NUM_THREADS,
  PROP_CUDA_GRAPH,
  PROP_TEMPORAL_SMOOTHING,
  PROP_ENGINE_ID,
  PROP_BATCH_SIZE,
  PROP_BATCH_TIMEOUT,
  PROP_ENGINE_STREAMS,
  PROP_ACTIVE_MODEL,
  PROP_ACTIVE_INFERENCE_WIDTH,
  PROP_ACTIVE_INFERENCE_HEIGHT,
  PROP_FRAMES_PROCESSED,
  PROP_MEAN_LATENCY,
};

// Values equal gncycleganir::Precision's and gncycleganir::Backend's.
typedef enum {
  GST_GNCYCLEGANIR_PRECISION_AUTO,
  GST_GNCYCLEGANIR_PRECISION_FP32,
  GST_GNCYCLEGANIR_PRECISION_FP16,
  GST_GNCYCLEGANIR_PRECISION_BF16,
} GstGncycleganirPrecision;
static_assert(int(Precision::bf16) == GST_GNCYCLEGANIR_PRECISION_BF16 && int(Precision::automatic) == 0,
              "the precision enum mirrors gncycleganir::Precision");
typedef enum {
  GST_GNCYCLEGANIR_BACKEND_AUTO,
  GST_GNCYCLEGANIR_BACKEND_LIBTORCH,
  GST_GNCYCLEGANIR_BACKEND_OPENVINO,
} GstGncycleganirBackend;
static_assert(int(Backend::openvino) == GST_GNCYCLEGANIR_BACKEND_OPENVINO && int(Backend::automatic) == 0,
              "the backend enum mirrors gncycleganir::Backend");
// Values equal gncycleganir::Palette's.
typedef enum {
  GST_GNCYCLEGANIR_PALETTE_WHITE_HOT,
  GST_GNCYCLEGANIR_PALETTE_BLACK_HOT,
  GST_GNCYCLEGANIR_PALETTE_IRONBOW,
  GST_GNCYCLEGANIR_PALETTE_RAINBOW,
  GST_GNCYCLEGANIR_PALETTE_LAVA,
  GST_GNCYCLEGANIR_PALETTE_ARCTIC,
} GstGncycleganirPalette;
static_assert(int(Palette::arctic) == GST_GNCYCLEGANIR_PALETTE_ARCTIC && int(Palette::white_hot) == 0,
              "the palette enum mirrors gncycleganir::Palette");

static GType gst_gncycleganir_precision_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_GNCYCLEGANIR_PRECISION_AUTO,
       "bf16 on CPUs with native bf16 arithmetic (AVX512-BF16, AMX), fp32 on other CPUs and on CUDA", "auto"},
      {GST_GNCYCLEGANIR_PRECISION_FP32, "32-bit floating point", "fp32"},
      {GST_GNCYCLEGANIR_PRECISION_FP16, "16-bit floating point (CUDA only)", "fp16"},
      {GST_GNCYCLEGANIR_PRECISION_BF16, "bfloat16 (CPUs with native bf16 arithmetic only)", "bf16"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstGncycleganirPrecision", values));
  return type;
}

static GType gst_gncycleganir_backend_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_GNCYCLEGANIR_BACKEND_AUTO,
       "OpenVINO on the CPU when this build has it (every generator but the U-Nets), LibTorch otherwise and on CUDA", "auto"},
      {GST_GNCYCLEGANIR_BACKEND_LIBTORCH, "LibTorch (CPU or CUDA): the reference", "libtorch"},
      {GST_GNCYCLEGANIR_BACKEND_OPENVINO, "OpenVINO (CPU only; needs a build with OpenVINO)", "openvino"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstGncycleganirBackend", values));
  return type;
}

static GType gst_gncycleganir_palette_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_GNCYCLEGANIR_PALETTE_WHITE_HOT, "White hot: hot is white, cold is black", "white-hot"},
      {GST_GNCYCLEGANIR_PALETTE_BLACK_HOT, "Black hot: hot is black, cold is white", "black-hot"},
      {GST_GNCYCLEGANIR_PALETTE_IRONBOW, "Ironbow: black, blue, magenta, red, orange, yellow, white", "ironbow"},
      {GST_GNCYCLEGANIR_PALETTE_RAINBOW, "Rainbow: black, blue, cyan, green, yellow, red, white", "rainbow"},
      {GST_GNCYCLEGANIR_PALETTE_LAVA, "Lava: black, dark red, red, orange, yellow, white", "lava"},
      {GST_GNCYCLEGANIR_PALETTE_ARCTIC, "Arctic: black, navy, blue, cyan, white", "arctic"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstGncycleganirPalette", values));
  return type;
}

// What the streaming thread owns between start() and stop().
struct Streaming {
  std::shared_ptr<SharedEngine> engine;  // perhaps shared with other elements
  // What start() loaded it with, to load the real-time model instead.
  EngineSettings settings;
  BatchSettings batch;
  std::string engine_id;
  // The model property is unset, and the element has not yet swapped the
  // default model for the real-time one (see choose_live_model).
  bool may_use_realtime = false;
  InferenceSize inference{0, 0};         // what the generator runs at (0 = the frame's size)
  // Restarted on new caps, flushes, new streams and discontinuities.
  gncycleganir::TemporalSmoother smoother;
  double automatic_smoothing = 0;  // what temporal-smoothing=-1 means for this stream
  std::map<Palette, torch::Tensor> tables;  // on the engine's device
  std::vector<torch::Tensor> upload_staging, download_staging;
  GstClockTime reported_latency = 0;  // what LATENCY queries answer
  // Real time on the CPU: the inference size follows the frame interval
  // (live sources, no inference size set); null when the size is fixed.
  std::unique_ptr<AdaptiveInferenceSize> adaptive;
  GstClockTime caps_interval = 0;      // from the caps' framerate (0 = unknown)
  GstClockTime last_pts = GST_CLOCK_TIME_NONE;
  double measured_interval = 0;        // moving average of input timestamp steps, ns
  int interval_samples = 0;
  guint64 short_buffers = 0;  // input buffers smaller than their caps say, dropped
  GstClockTime interval() const {
    // A live source's real rate wins over what its caps announce (a camera
    // may deliver fewer frames in low light).
    return interval_samples >= 10 ? GstClockTime(measured_interval) : caps_interval;
  }
};

struct _GstGncycleganir {
  GstVideoFilter parent;

  // Properties, under the object lock.
  gchar *model;
  gchar *device;
  GstGncycleganirBackend backend;
  GstGncycleganirPrecision precision;
  guint inference_width, inference_height;
  std::atomic<int> palette;
  std::atomic<double> temporal_smoothing;
  guint num_threads;
  gboolean cuda_graph;
  gchar *engine_id;
  guint batch_size, batch_timeout_ms;
  gchar *active_model;  // what runs: a bundled model's name or a file

  // Statistics, read from any thread.
  std::atomic<guint> active_width, active_height;  // the inference size in use
  std::atomic<guint64> frames;
  std::atomic<double> total_ms;
  std::atomic<GstClockTime> latency;  // measured per-frame processing time

  Streaming *streaming;
#ifdef GNCYCLEGANIR_WITH_CUDA_MEMORY
  // LibTorch's CUDA context offered to the neighbours, from READY on when the
  // device is a GPU; under the object lock.
  gncycleganir::LibTorchCudaContext *cuda;
  gboolean cuda_failed;  // said once
#endif
};

#define gst_gncycleganir_parent_class parent_class
G_DEFINE_TYPE(GstGncycleganir, gst_gncycleganir, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE(gncycleganir, "gncycleganir", GST_RANK_NONE, GST_TYPE_GNCYCLEGANIR);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(SINK_FORMATS) CUDA_MEMORY_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(SRC_FORMATS) CUDA_MEMORY_CAPS));

// Properties the element reads when it starts may change only in NULL or READY.
static gboolean settable_now(GstGncycleganir *self, GParamSpec *pspec) {
  if (GST_STATE(self) <= GST_STATE_READY) return TRUE;
  g_warning("gncycleganir: %s can only be changed in the NULL or READY state; keeping the current value",
            pspec->name);
  return FALSE;
}

static gboolean valid_device(const gchar *device) {
  static const std::regex pattern("auto|cpu|cuda|cuda:[0-9]{1,3}");
  return device && std::regex_match(device, pattern);
}

static void gst_gncycleganir_set_property(GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(object);
  if (id == PROP_PALETTE) {  // changeable while playing
    self->palette = g_value_get_enum(value);
    return;
  }
  if (id == PROP_TEMPORAL_SMOOTHING) {  // changeable while playing
    self->temporal_smoothing = g_value_get_double(value);
    return;
  }
  GST_OBJECT_LOCK(self);
  if (!settable_now(self, pspec)) {
    GST_OBJECT_UNLOCK(self);
    return;
  }
  switch (id) {
    case PROP_MODEL:
      g_free(self->model);
      self->model = g_value_dup_string(value);
      break;
    case PROP_DEVICE:
      if (valid_device(g_value_get_string(value))) {
        g_free(self->device);
        self->device = g_value_dup_string(value);
      } else {
        g_warning("gncycleganir: device \"%s\" is not valid (use auto, cpu, cuda or cuda:N); keeping \"%s\"",
                  g_value_get_string(value) ? g_value_get_string(value) : "(null)", self->device);
      }
      break;
    case PROP_BACKEND:
      self->backend = GstGncycleganirBackend(g_value_get_enum(value));
      break;
    case PROP_PRECISION:
      self->precision = GstGncycleganirPrecision(g_value_get_enum(value));
      break;
    case PROP_INFERENCE_WIDTH:
      self->inference_width = g_value_get_uint(value);
      break;
    case PROP_INFERENCE_HEIGHT:
      self->inference_height = g_value_get_uint(value);
      break;
    case PROP_NUM_THREADS:
      self->num_threads = g_value_get_uint(value);
      break;
    case PROP_CUDA_GRAPH:
      self->cuda_graph = g_value_get_boolean(value);
      break;
    case PROP_ENGINE_ID:
      g_free(self->engine_id);
      self->engine_id = g_value_dup_string(value);
      break;
    case PROP_BATCH_SIZE:
      self->batch_size = g_value_get_uint(value);
      break;
    case PROP_BATCH_TIMEOUT:
      self->batch_timeout_ms = g_value_get_uint(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_gncycleganir_get_property(GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_MODEL: g_value_set_string(value, self->model); break;
    case PROP_DEVICE: g_value_set_string(value, self->device); break;
    case PROP_BACKEND: g_value_set_enum(value, self->backend); break;
    case PROP_PRECISION: g_value_set_enum(value, self->precision); break;
    case PROP_INFERENCE_WIDTH: g_value_set_uint(value, self->inference_width); break;
    case PROP_INFERENCE_HEIGHT: g_value_set_uint(value, self->inference_height); break;
    case PROP_PALETTE: g_value_set_enum(value, self->palette); break;
    case PROP_NUM_THREADS: g_value_set_uint(value, self->num_threads); break;
    case PROP_CUDA_GRAPH: g_value_set_boolean(value, self->cuda_graph); break;
    case PROP_ENGINE_ID: g_value_set_string(value, self->engine_id); break;
    case PROP_BATCH_SIZE: g_value_set_uint(value, self->batch_size); break;
    case PROP_BATCH_TIMEOUT: g_value_set_uint(value, self->batch_timeout_ms); break;
    case PROP_ENGINE_STREAMS:
      g_value_set_uint(value, self->streaming && self->streaming->engine ? guint(self->streaming->engine->users()) : 0);
      break;
    case PROP_TEMPORAL_SMOOTHING: g_value_set_double(value, self->temporal_smoothing); break;
    case PROP_ACTIVE_MODEL: g_value_set_string(value, self->active_model); break;
    case PROP_ACTIVE_INFERENCE_WIDTH: g_value_set_uint(value, self->active_width); break;
    case PROP_ACTIVE_INFERENCE_HEIGHT: g_value_set_uint(value, self->active_height); break;
    case PROP_FRAMES_PROCESSED: g_value_set_uint64(value, self->frames); break;
    case PROP_MEAN_LATENCY:
      g_value_set_double(value, self->frames ? self->total_ms / double(self->frames) : 0.0);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
  GST_OBJECT_UNLOCK(self);
}

// Runs `work`; a C++ exception becomes an element error naming the cause.
template <typename Work>
static gboolean guarded(GstGncycleganir *self, const char *what, Work work) {
  try {
    work();
    return TRUE;
  } catch (const EngineError &error) {
    if (error.cause() == EngineError::Cause::model)
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("%s", error.what()), ("while %s", what));
    else
      GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", error.what()), ("while %s", what));
  } catch (const c10::Error &error) {
    const std::string message = error.what_without_backtrace();
    if (message.find("out of memory") != std::string::npos)
      GST_ELEMENT_ERROR(self, RESOURCE, NO_SPACE_LEFT,
                        ("out of GPU memory while %s (try inference-width/inference-height, precision=fp16, or "
                         "device=cpu)",
                         what),
                        ("%s", message.c_str()));
    else
      GST_ELEMENT_ERROR(self, STREAM, FAILED, ("inference failed while %s: %s", what, message.c_str()), (nullptr));
  } catch (const std::exception &error) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("%s failed: %s", what, error.what()), (nullptr));
  }
  return FALSE;
}

static gboolean gst_gncycleganir_start(GstBaseTransform *trans) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(trans);
  EngineSettings settings;
  GST_OBJECT_LOCK(self);
  const std::string model = self->model ? self->model : gncycleganir::bundled_models().front().name;
  const bool model_unset = !self->model;
  settings.model_path = model;
  settings.device = self->device;
  settings.backend = Backend(self->backend);
  settings.precision = Precision(self->precision);
  settings.threads = int(self->num_threads);
  settings.cuda_graph = self->cuda_graph;
  // The inference size is the element's own (set_info reads it), passed with
  // each frame; the engine's stays 0 so that elements of other sizes share it.
  const std::string engine_id = self->engine_id ? self->engine_id : "";
  BatchSettings batch;
  batch.batch_size = int(self->batch_size);
  batch.batch_timeout = std::chrono::milliseconds(self->batch_timeout_ms);
  GST_OBJECT_UNLOCK(self);

  try {
    settings.model_path = gncycleganir::resolve_model(settings.model_path);
  } catch (const gncycleganir::ModelNotFound &error) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("%s", error.what()), (nullptr));
    return FALSE;
  }
  if (!std::filesystem::exists(settings.model_path)) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
                      ("model file %s does not exist (the bundled models: %s)", settings.model_path.c_str(),
                       gncycleganir::bundled_model_names().c_str()),
                      (nullptr));
    return FALSE;
  }

  self->frames = 0;
  self->total_ms = 0;
  self->latency = 0;
  auto streaming = std::make_unique<Streaming>();
  if (!guarded(self, "loading the model",
               [&] { streaming->engine = SharedEngine::acquire(settings, batch, engine_id); }))
    return FALSE;
  streaming->settings = settings;
  streaming->batch = batch;
  streaming->engine_id = engine_id;
  streaming->may_use_realtime = model_unset;
  GST_INFO_OBJECT(self, "loaded %s: %s; its engine serves %ld element(s)%s", settings.model_path.c_str(),
                  streaming->engine->engine().description().c_str(), streaming->engine->users(),
                  batch.batch_size > 1 ? (", in batches of up to " + std::to_string(batch.batch_size)).c_str() : "");
  GST_OBJECT_LOCK(self);
  self->streaming = streaming.release();
  g_free(self->active_model);
  self->active_model = g_strdup(model.c_str());
  GST_OBJECT_UNLOCK(self);
  g_object_notify(G_OBJECT(self), "active-model");
  return TRUE;
}

static gboolean gst_gncycleganir_stop(GstBaseTransform *trans) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(trans);
  // Under the lock: engine-streams reads it from other threads.
  GST_OBJECT_LOCK(self);
  Streaming *streaming = self->streaming;
  self->streaming = nullptr;
  GST_OBJECT_UNLOCK(self);
  delete streaming;  // releases the engine; the last element's release unloads it
  return TRUE;
}

// Whether upstream is a live source (a camera, a network stream): only then
// does a frame have a deadline the inference size must meet.
static gboolean upstream_is_live(GstGncycleganir *self) {
  GstQuery *query = gst_query_new_latency();
  gboolean live = FALSE;
  if (gst_pad_peer_query(GST_BASE_TRANSFORM_SINK_PAD(self), query)) gst_query_parse_latency(query, &live, nullptr, nullptr);
  gst_query_unref(query);
  return live;
}

static void set_active_size(GstGncycleganir *self, InferenceSize size) {
  self->active_width = guint(size.width);
  self->active_height = guint(size.height);
  g_object_notify(G_OBJECT(self), "active-inference-width");
  g_object_notify(G_OBJECT(self), "active-inference-height");
}

// Warms the engine up at this frame size and the stream's inference size
// (OpenVINO compiles it), so the first frame is not a cold start; its last,
// warm run is a latency estimate.
static bool warm_up(GstGncycleganir *self, Streaming *streaming, InferenceSize frame,
                    std::chrono::nanoseconds &warm_run) {
  return guarded(self, "warming up", [&] {
    warm_run = streaming->engine->warm_up(frame.width, frame.height, streaming->inference.width,
                                          streaming->inference.height);
  });
}

// Live on the CPU: the largest inference size of the adaptive ladder the
// engine keeps up at, from warm-up timings at the frame's size and a probe
// (two timings tell the fixed cost from the cost per pixel).
static bool plan_live_size(GstGncycleganir *self, Streaming *streaming, InferenceSize frame,
                           std::chrono::nanoseconds &warm_run, InferenceSize &active) {
  AdaptiveInferenceSize::Settings settings;
  settings.multiple = streaming->engine->engine().config().size_multiple();
  streaming->adaptive = std::make_unique<AdaptiveInferenceSize>(frame, settings);
  streaming->inference = frame;
  if (!warm_up(self, streaming, frame, warm_run)) return false;
  std::vector<AdaptiveInferenceSize::Timing> timings{{frame, warm_run}};
  const InferenceSize probe = streaming->adaptive->probe();
  if (probe != frame) {
    streaming->inference = probe;
    if (!warm_up(self, streaming, frame, warm_run)) return false;
    timings.push_back({probe, warm_run});
  }
  active = streaming->adaptive->start(timings, std::chrono::nanoseconds(streaming->interval()));
  streaming->inference = active;
  if (active != timings.back().size && !warm_up(self, streaming, frame, warm_run)) return false;
  GST_INFO_OBJECT(self, "live source at %" GST_TIME_FORMAT " a frame: inference size %dx%d (a %dx%d frame takes %"
                  GST_TIME_FORMAT " at full size)", GST_TIME_ARGS(streaming->interval()), active.width,
                  active.height, frame.width, frame.height, GST_TIME_ARGS(timings.front().time.count()));
  return true;
}

// With the model property unset, a live source on the CPU gets the default
// model while it keeps up at REALTIME_MODEL_BELOW or more; once it would run
// smaller (at warm-up, or when frame times shrink the size later), the
// real-time model, which does a quarter of the arithmetic per pixel and so
// runs at about twice the side, where it scores at least as well as the
// default at the smaller size (docs/models.md). The swap happens once and
// holds until the element stops. Returns false on an element error; without
// the real-time model installed the default stays, with a warning.
static const InferenceSize REALTIME_MODEL_BELOW{320, 240};

static bool choose_live_model(GstGncycleganir *self, Streaming *streaming, InferenceSize frame,
                              std::chrono::nanoseconds &warm_run, InferenceSize &active) {
  if (!streaming->may_use_realtime || active.area() >= REALTIME_MODEL_BELOW.area()) return true;
  streaming->may_use_realtime = false;
  const std::string name = gncycleganir::realtime_model_name();
  EngineSettings settings = streaming->settings;
  try {
    settings.model_path = gncycleganir::resolve_model(name);
  } catch (const gncycleganir::ModelNotFound &error) {
    GST_WARNING_OBJECT(self, "keeping %s at %dx%d: %s", streaming->settings.model_path.c_str(), active.width,
                       active.height, error.what());
    return true;
  }
  std::shared_ptr<SharedEngine> realtime;
  if (!guarded(self, "loading the real-time model", [&] {
        realtime = SharedEngine::acquire(settings, streaming->batch,
                                         streaming->engine_id.empty() ? "" : streaming->engine_id + "/" + name);
      }))
    return false;
  GST_INFO_OBJECT(self, "the default model keeps up at %dx%d only, below %dx%d: running %s (%s)", active.width,
                  active.height, REALTIME_MODEL_BELOW.width, REALTIME_MODEL_BELOW.height, name.c_str(),
                  realtime->engine().description().c_str());
  GST_OBJECT_LOCK(self);
  std::swap(streaming->engine, realtime);
  g_free(self->active_model);
  self->active_model = g_strdup(name.c_str());
  GST_OBJECT_UNLOCK(self);
  realtime.reset();  // the default model's engine, unloaded unless other elements hold it
  g_object_notify(G_OBJECT(self), "active-model");
  return plan_live_size(self, streaming, frame, warm_run, active);
}

static gboolean gst_gncycleganir_set_info(GstVideoFilter *filter, GstCaps *, GstVideoInfo *in_info, GstCaps *,
                                          GstVideoInfo *) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(filter);
  Streaming *streaming = self->streaming;
  if (!streaming) return FALSE;
  const InferenceSize frame{GST_VIDEO_INFO_WIDTH(in_info), GST_VIDEO_INFO_HEIGHT(in_info)};
  GST_OBJECT_LOCK(self);
  const InferenceSize requested{int(self->inference_width), int(self->inference_height)};
  GST_OBJECT_UNLOCK(self);
  const bool fixed_size = requested.width > 0 || requested.height > 0;
  streaming->caps_interval = GST_VIDEO_INFO_FPS_N(in_info) > 0
                                 ? gst_util_uint64_scale(GST_SECOND, GST_VIDEO_INFO_FPS_D(in_info), GST_VIDEO_INFO_FPS_N(in_info))
                                 : 0;
  // New caps may bring a new framerate: measure the live rate afresh.
  streaming->last_pts = GST_CLOCK_TIME_NONE;
  streaming->measured_interval = 0;
  streaming->interval_samples = 0;
  streaming->adaptive.reset();
  streaming->smoother.reset();
  const bool live_on_cpu = streaming->engine->engine().device().is_cpu() && upstream_is_live(self);
  // Real time first: on the CPU a live source's frames cannot afford it.
  streaming->automatic_smoothing = live_on_cpu ? 0 : AUTOMATIC_TEMPORAL_SMOOTHING;

  const auto started = std::chrono::steady_clock::now();
  std::chrono::nanoseconds warm_run{0};
  InferenceSize active{requested.width > 0 ? requested.width : frame.width,
                       requested.height > 0 ? requested.height : frame.height};
  if (!fixed_size && live_on_cpu) {
    if (!plan_live_size(self, streaming, frame, warm_run, active) ||
        !choose_live_model(self, streaming, frame, warm_run, active))
      return FALSE;
  } else {
    streaming->inference = requested;  // {0, 0} unless set: the frame's size
    if (!warm_up(self, streaming, frame, warm_run)) return FALSE;
  }
  set_active_size(self, active);
  const InferenceEngine &engine = streaming->engine->engine();
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started);
  streaming->reported_latency = warm_run.count();
  self->latency = streaming->reported_latency;
  GST_INFO_OBJECT(self, "warmed up at %dx%d (inference %dx%d) in %" GST_TIME_FORMAT "; a warm frame takes %" GST_TIME_FORMAT "%s",
                  frame.width, frame.height, active.width, active.height, GST_TIME_ARGS(elapsed.count()),
                  GST_TIME_ARGS(warm_run.count()), engine.replays_cuda_graph() ? " (replaying a CUDA graph)" : "");
  if (!engine.cuda_graph_error().empty())
    GST_WARNING_OBJECT(self, "running the generator op by op: recording it as a CUDA graph failed: %s",
                       engine.cuda_graph_error().c_str());
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
  return TRUE;
}

// Sees every input buffer, before QoS drops late ones: the live input rate,
// which only the adaptive inference size needs.
static void gst_gncycleganir_before_transform(GstBaseTransform *trans, GstBuffer *buffer) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(trans);
  Streaming *streaming = self->streaming;
  if (!streaming || !streaming->adaptive || !GST_BUFFER_PTS_IS_VALID(buffer)) return;
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  if (GST_CLOCK_TIME_IS_VALID(streaming->last_pts) && pts > streaming->last_pts &&
      pts - streaming->last_pts < GST_SECOND) {
    const double step = double(pts - streaming->last_pts);
    streaming->measured_interval =
        streaming->interval_samples ? streaming->measured_interval + (step - streaming->measured_interval) / 16 : step;
    streaming->interval_samples++;
  }
  streaming->last_pts = pts;
}

// Applies the adaptive size's verdict on this frame's time.
static void adapt_inference_size(GstGncycleganir *self, Streaming *streaming, std::chrono::nanoseconds frame_time) {
  auto changed = streaming->adaptive->observe(frame_time, std::chrono::nanoseconds(streaming->interval()));
  if (!changed) return;
  const InferenceSize previous{int(self->active_width), int(self->active_height)};
  streaming->inference = *changed;
  const InferenceSize frame = streaming->adaptive->ladder().front();
  std::chrono::nanoseconds warm_run{0};
  if (streaming->may_use_realtime && changed->area() < REALTIME_MODEL_BELOW.area()) {
    const SharedEngine *before = streaming->engine.get();
    InferenceSize active = *changed;
    if (!choose_live_model(self, streaming, frame, warm_run, active)) return;
    if (streaming->engine.get() != before) {  // swapped and planned afresh
      set_active_size(self, active);
      streaming->reported_latency = GstClockTime(warm_run.count()) + GstClockTime(warm_run.count()) / 4;
      gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
      return;
    }
  }
  // Prepare the new size now (OpenVINO compiles it), so its first frames are
  // timed warm.
  if (!guarded(self, "warming up", [&] {
        warm_run = streaming->engine->warm_up(frame.width, frame.height, changed->width, changed->height);
      }))
    return;
  set_active_size(self, *changed);
  GST_INFO_OBJECT(self, "inference size %dx%d -> %dx%d: frames take %" GST_TIME_FORMAT " against %" GST_TIME_FORMAT
                  " between frames", previous.width, previous.height, changed->width, changed->height,
                  GST_TIME_ARGS(frame_time.count()), GST_TIME_ARGS(streaming->interval()));
  streaming->reported_latency = GstClockTime(warm_run.count()) + GstClockTime(warm_run.count()) / 4;
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
}

// Converts one mapped frame; `in_memory` and `out_memory` say where their
// planes are (host memory, or the engine's CUDA device).
static GstFlowReturn convert_frame(GstGncycleganir *self, GstVideoFrame *in, GstVideoFrame *out, FrameMemory in_memory,
                                   FrameMemory out_memory) {
  Streaming *streaming = self->streaming;
  const auto started = std::chrono::steady_clock::now();
  const Palette palette = Palette(self->palette.load());
  const bool done = guarded(self, "converting a frame", [&] {
    const InferenceEngine &engine = streaming->engine->engine();
    auto scope = engine.use_stream();
    auto &table = streaming->tables[palette];
    if (!table.defined()) table = gncycleganir::palette_table(palette).to(engine.device());
    if (GST_BUFFER_FLAG_IS_SET(in->buffer, GST_BUFFER_FLAG_DISCONT)) streaming->smoother.reset();
    const double smoothing = self->temporal_smoothing;
    streaming->smoother.set_strength(smoothing < 0 ? streaming->automatic_smoothing : smoothing);
    // Unsmoothed on the CPU, the frame is resized to the inference size as it
    // is read and the output to the frame's as it is written (one pass over
    // the frame each way); the smoother needs the frame at its own size.
    const bool at_inference_size = engine.device().is_cpu() && streaming->smoother.strength() <= 0;
    const auto output_size =
        at_inference_size ? InferenceEngine::OutputSize::inference : InferenceEngine::OutputSize::frame;
    const int width = at_inference_size ? streaming->inference.width : 0;
    const int height = at_inference_size ? streaming->inference.height : 0;
    auto rgb = gncycleganir::frame_to_model(in, engine.device(), streaming->upload_staging, in_memory, width, height);
    auto infrared =
        streaming->engine->translate(rgb, streaming->inference.width, streaming->inference.height, output_size);
    infrared = streaming->smoother.apply(rgb, infrared);
    gncycleganir::model_to_frame(infrared, palette, table, out, streaming->download_staging, out_memory);
    // GStreamer 1.22's CUDA memory carries no stream: the frame must be
    // complete before it leaves.
    if (out_memory == FrameMemory::device) engine.synchronize();
  });
  if (!done) return GST_FLOW_ERROR;

  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started);
  const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  self->frames++;
  self->total_ms = self->total_ms + ms;
  // Latency: a moving average of the processing time; tell the pipeline when
  // it has grown past what LATENCY queries report.
  const GstClockTime measured = GstClockTime(ms * GST_MSECOND);
  const GstClockTime average = self->latency ? (self->latency * 7 + measured) / 8 : measured;
  self->latency = average;
  if (average > streaming->reported_latency + streaming->reported_latency / 4) {
    streaming->reported_latency = average + average / 4;
    GST_INFO_OBJECT(self, "processing takes %" GST_TIME_FORMAT ", reporting a higher latency", GST_TIME_ARGS(average));
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
  }
  if (streaming->adaptive) adapt_inference_size(self, streaming, elapsed);
  return GST_FLOW_OK;
}

static GstFlowReturn gst_gncycleganir_transform_frame(GstVideoFilter *filter, GstVideoFrame *in, GstVideoFrame *out) {
  return convert_frame(GST_GNCYCLEGANIR(filter), in, out, FrameMemory::host, FrameMemory::host);
}

#ifdef GNCYCLEGANIR_WITH_CUDA_MEMORY
// LibTorch's CUDA context for the device the element is set to, made on first
// use; null when that device is the CPU or the context cannot be made (said
// once, as a warning: the element then works through host memory).
static gncycleganir::LibTorchCudaContext *cuda_context(GstGncycleganir *self) {
  GST_OBJECT_LOCK(self);
  if (!self->cuda && !self->cuda_failed) {
    try {
      const c10::Device device = gncyclegan::resolve_device(self->device);
      if (device.is_cuda()) self->cuda = new gncycleganir::LibTorchCudaContext(device.has_index() ? device.index() : 0);
    } catch (const std::exception &error) {
      self->cuda_failed = TRUE;
      GST_WARNING_OBJECT(self, "no CUDA memory with the neighbours, frames go through host memory: %s", error.what());
    }
  }
  auto *cuda = self->cuda;
  GST_OBJECT_UNLOCK(self);
  return cuda;
}

static void release_cuda_context(GstGncycleganir *self) {
  GST_OBJECT_LOCK(self);
  delete self->cuda;
  self->cuda = nullptr;
  self->cuda_failed = FALSE;
  GST_OBJECT_UNLOCK(self);
}

// The context, when the engine computes on its device (not on the CPU, nor
// on another GPU): only then can CUDA memory be used in place.
static gncycleganir::LibTorchCudaContext *engine_cuda_context(GstGncycleganir *self) {
  if (!self->streaming) return nullptr;
  const c10::Device &device = self->streaming->engine->engine().device();
  if (!device.is_cuda()) return nullptr;
  auto *cuda = cuda_context(self);
  return cuda && cuda->device_index() == (device.has_index() ? device.index() : 0) ? cuda : nullptr;
}

// Frames in CUDA memory of LibTorch's context are mapped on the device and
// used in place; everything else goes through GstVideoFilter's host mapping
// (GstCudaMemory of another context downloads itself there).
static GstFlowReturn transform_in_cuda_memory(GstBaseTransform *trans, GstBuffer *inbuf, GstBuffer *outbuf) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(trans);
  GstVideoFilter *filter = GST_VIDEO_FILTER(trans);
  auto *cuda = engine_cuda_context(self);
  const bool in_device = cuda && cuda->holds(inbuf), out_device = cuda && cuda->holds(outbuf);
  if (!filter->negotiated || (!in_device && !out_device))
    return GST_BASE_TRANSFORM_CLASS(parent_class)->transform(trans, inbuf, outbuf);
  const auto flags = GstMapFlags(GST_VIDEO_FRAME_MAP_FLAG_NO_REF);
  GstVideoFrame in, out;
  if (!gst_video_frame_map(&in, &filter->in_info, inbuf, GstMapFlags(flags | GST_MAP_READ | (in_device ? GST_MAP_CUDA : 0)))) {
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("could not map an input frame%s", in_device ? " in CUDA memory" : ""), (nullptr));
    return GST_FLOW_ERROR;
  }
  if (!gst_video_frame_map(&out, &filter->out_info, outbuf, GstMapFlags(flags | GST_MAP_WRITE | (out_device ? GST_MAP_CUDA : 0)))) {
    gst_video_frame_unmap(&in);
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("could not map an output frame%s", out_device ? " in CUDA memory" : ""), (nullptr));
    return GST_FLOW_ERROR;
  }
  GST_LOG_OBJECT(self, "input in %s memory, output in %s memory", in_device ? "CUDA" : "host", out_device ? "CUDA" : "host");
  const GstFlowReturn result = convert_frame(self, &in, &out, in_device ? FrameMemory::device : FrameMemory::host,
                                             out_device ? FrameMemory::device : FrameMemory::host);
  gst_video_frame_unmap(&out);
  gst_video_frame_unmap(&in);
  return result;
}

// A CUDA buffer pool of LibTorch's context for `caps`, configured; null when
// it cannot be (said as an element warning).
static GstBufferPool *cuda_pool(GstGncycleganir *self, gncycleganir::LibTorchCudaContext *cuda, GstCaps *caps,
                                guint *size) {
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, caps)) return nullptr;
  GstBufferPool *pool = gst_cuda_buffer_pool_new(cuda->get());
  GstStructure *config = gst_buffer_pool_get_config(pool);
  gst_buffer_pool_config_set_params(config, caps, guint(GST_VIDEO_INFO_SIZE(&info)), 0, 0);
  gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
  if (!gst_buffer_pool_set_config(pool, config)) {
    GST_WARNING_OBJECT(self, "the CUDA buffer pool refused its configuration");
    gst_object_unref(pool);
    return nullptr;
  }
  // The pool pads rows to the device's pitch: its size is what counts.
  config = gst_buffer_pool_get_config(pool);
  gst_buffer_pool_config_get_params(config, nullptr, size, nullptr, nullptr);
  gst_structure_free(config);
  return pool;
}

// Upstream asks how to allocate: in CUDA memory, buffers of LibTorch's context.
static gboolean gst_gncycleganir_propose_allocation(GstBaseTransform *trans, GstQuery *decide_query, GstQuery *query) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(trans);
  GstCaps *caps = nullptr;
  gst_query_parse_allocation(query, &caps, nullptr);
  auto *cuda = gncycleganir::caps_in_cuda_memory(caps) ? engine_cuda_context(self) : nullptr;
  if (!cuda) return GST_BASE_TRANSFORM_CLASS(parent_class)->propose_allocation(trans, decide_query, query);
  if (gst_query_get_n_allocation_pools(query) == 0) {
    guint size = 0;
    if (GstBufferPool *pool = cuda_pool(self, cuda, caps, &size)) {
      gst_query_add_allocation_pool(query, pool, size, 0, 0);
      gst_object_unref(pool);
    }
  }
  gst_query_add_allocation_meta(query, GST_VIDEO_META_API_TYPE, nullptr);
  return TRUE;
}

// Output in CUDA memory: downstream's pool if it is one of LibTorch's
// context, else one of ours.
static gboolean gst_gncycleganir_decide_allocation(GstBaseTransform *trans, GstQuery *query) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(trans);
  GstCaps *caps = nullptr;
  gst_query_parse_allocation(query, &caps, nullptr);
  auto *cuda = gncycleganir::caps_in_cuda_memory(caps) ? engine_cuda_context(self) : nullptr;
  if (!cuda) return GST_BASE_TRANSFORM_CLASS(parent_class)->decide_allocation(trans, query);
  GstBufferPool *pool = nullptr;
  guint size = 0, min = 0, max = 0;
  const bool offered = gst_query_get_n_allocation_pools(query) > 0;
  if (offered) gst_query_parse_nth_allocation_pool(query, 0, &pool, &size, &min, &max);
  if (!cuda->owns(pool)) {
    if (pool) gst_object_unref(pool);
    pool = cuda_pool(self, cuda, caps, &size);
    if (!pool) {
      GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("could not set up CUDA memory for the output"), (nullptr));
      return FALSE;
    }
  } else {
    GstStructure *config = gst_buffer_pool_get_config(pool);
    gst_buffer_pool_config_set_params(config, caps, size, min, max);
    gst_buffer_pool_config_add_option(config, GST_BUFFER_POOL_OPTION_VIDEO_META);
    gst_buffer_pool_set_config(pool, config);
  }
  if (offered)
    gst_query_set_nth_allocation_pool(query, 0, pool, size, min, max);
  else
    gst_query_add_allocation_pool(query, pool, size, min, max);
  gst_object_unref(pool);
  return GST_BASE_TRANSFORM_CLASS(parent_class)->decide_allocation(trans, query);
}

// From READY on, the pipeline knows LibTorch's context: the bin hands it to
// elements that ask later, and neighbours' context queries reach query().
static GstStateChangeReturn gst_gncycleganir_change_state(GstElement *element, GstStateChange transition) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
    if (auto *cuda = cuda_context(self))
      gst_element_post_message(element, gst_message_new_have_context(GST_OBJECT(self),
                                                                     gst_context_new_cuda_context(cuda->get())));
  }
  const GstStateChangeReturn result = GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) release_cuda_context(self);
  return result;
}
#endif  // GNCYCLEGANIR_WITH_CUDA_MEMORY

// Bytes a frame of `info` takes in `buffer`: by its video meta's planes when
// it has one (a decoder's own strides and offsets), else by the caps.
static gsize frame_bytes(const GstVideoInfo *info, GstBuffer *buffer) {
  GstVideoMeta *meta = gst_buffer_get_video_meta(buffer);
  gsize plane_size[GST_VIDEO_MAX_PLANES] = {};
  if (!meta || !gst_video_meta_get_plane_size(meta, plane_size)) return GST_VIDEO_INFO_SIZE(info);
  gsize needed = 0;
  for (guint plane = 0; plane < meta->n_planes; ++plane) needed = std::max(needed, meta->offset[plane] + plane_size[plane]);
  return needed;
}

// A buffer smaller than the frame its caps promise (a broken decoder or
// source upstream) is dropped, not read past its end, and the stream goes
// on; the user is told at the 1st, 10th, 100th... such buffer.
static gboolean holds_a_whole_frame(GstGncycleganir *self, GstBuffer *buffer) {
  const GstVideoInfo *info = &GST_VIDEO_FILTER(self)->in_info;
  const gsize size = gst_buffer_get_size(buffer), needed = frame_bytes(info, buffer);
  if (size >= needed) return TRUE;
  Streaming *streaming = self->streaming;
  const guint64 count = streaming ? ++streaming->short_buffers : 1;
  if (streaming) streaming->smoother.reset();  // the next frame does not follow the last one shown
  bool power_of_ten = true;
  for (guint64 n = count; n > 1; n /= 10) power_of_ten = power_of_ten && n % 10 == 0;
  if (power_of_ten)
    GST_ELEMENT_WARNING(self, STREAM, FORMAT,
                        ("dropped an input buffer of %" G_GSIZE_FORMAT " bytes: a %dx%d %s frame takes %" G_GSIZE_FORMAT
                         " (%" G_GUINT64_FORMAT " such buffers so far); the source or decoder upstream is delivering "
                         "broken frames",
                         size, GST_VIDEO_INFO_WIDTH(info), GST_VIDEO_INFO_HEIGHT(info),
                         gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(info)), needed, count),
                        (nullptr));
  else
    GST_DEBUG_OBJECT(self, "dropped an input buffer of %" G_GSIZE_FORMAT " bytes (%" G_GSIZE_FORMAT " needed)", size, needed);
  return FALSE;
}

static GstFlowReturn gst_gncycleganir_transform(GstBaseTransform *trans, GstBuffer *inbuf, GstBuffer *outbuf) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(trans);
  if (GST_VIDEO_FILTER(trans)->negotiated && !holds_a_whole_frame(self, inbuf)) return GST_BASE_TRANSFORM_FLOW_DROPPED;
#ifdef GNCYCLEGANIR_WITH_CUDA_MEMORY
  return transform_in_cuda_memory(trans, inbuf, outbuf);
#else
  return GST_BASE_TRANSFORM_CLASS(parent_class)->transform(trans, inbuf, outbuf);
#endif
}

// A seek, a new stream: the previous frame is no longer the one before.
static gboolean gst_gncycleganir_sink_event(GstBaseTransform *trans, GstEvent *event) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(trans);
  if (self->streaming && (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP || GST_EVENT_TYPE(event) == GST_EVENT_STREAM_START))
    self->streaming->smoother.reset();
  return GST_BASE_TRANSFORM_CLASS(parent_class)->sink_event(trans, event);
}

// Whether caps in CUDA memory can be negotiated: before the engine is loaded
// (the templates), and after when it runs on CUDA.
static gboolean cuda_memory_negotiable(GstGncycleganir *self) {
#ifdef GNCYCLEGANIR_WITH_CUDA_MEMORY
  return !self->streaming || self->streaming->engine->engine().device().is_cuda();
#else
  (void)self;
  return FALSE;
#endif
}

static GstCaps *gst_gncycleganir_transform_caps(GstBaseTransform *trans, GstPadDirection direction, GstCaps *caps,
                                                GstCaps *filter) {
  // Size, framerate and pixel-aspect-ratio pass through; the format may
  // change, and so may the memory (the input's kind first).
  GstCaps *other = gst_static_pad_template_get_caps(direction == GST_PAD_SINK ? &src_template : &sink_template);
  const gboolean cuda_memory = cuda_memory_negotiable(GST_GNCYCLEGANIR(trans));
  GstCaps *result = gst_caps_new_empty();
  for (guint i = 0; i < gst_caps_get_size(caps); ++i) {
    GstCapsFeatures *features = gst_caps_get_features(caps, i);
    if (!cuda_memory && features && !gst_caps_features_is_any(features) &&
        !gst_caps_features_is_equal(features, GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY))
      continue;
    for (const bool same_memory : {true, false}) {
      for (guint j = 0; j < gst_caps_get_size(other); ++j) {
        GstCapsFeatures *other_features = gst_caps_get_features(other, j);
        const bool same = !features || gst_caps_features_is_any(features) ||
                          gst_caps_features_is_equal(features, other_features);
        if (same != same_memory) continue;
        if (!cuda_memory && !gst_caps_features_is_equal(other_features, GST_CAPS_FEATURES_MEMORY_SYSTEM_MEMORY))
          continue;
        GstStructure *structure = gst_structure_copy(gst_caps_get_structure(caps, i));
        gst_structure_set_value(structure, "format", gst_structure_get_value(gst_caps_get_structure(other, j), "format"));
        gst_structure_remove_fields(structure, "colorimetry", "chroma-site", nullptr);
        result = gst_caps_merge_structure_full(result, structure, gst_caps_features_copy(other_features));
      }
    }
  }
  gst_caps_unref(other);
  if (filter) {
    GstCaps *intersection = gst_caps_intersect_full(filter, result, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(result);
    result = intersection;
  }
  return result;
}

static gboolean gst_gncycleganir_query(GstBaseTransform *trans, GstPadDirection direction, GstQuery *query) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(trans);
#ifdef GNCYCLEGANIR_WITH_CUDA_MEMORY
  // A neighbour asking for a CUDA context gets LibTorch's.
  if (GST_QUERY_TYPE(query) == GST_QUERY_CONTEXT) {
    auto *cuda = cuda_context(self);
    if (cuda && gst_cuda_handle_context_query(GST_ELEMENT(self), query, cuda->get())) return TRUE;
  }
#endif
  if (direction != GST_PAD_SRC || GST_QUERY_TYPE(query) != GST_QUERY_LATENCY)
    return GST_BASE_TRANSFORM_CLASS(parent_class)->query(trans, direction, query);
  // Upstream's latency plus the time a frame spends in here.
  if (!GST_BASE_TRANSFORM_CLASS(parent_class)->query(trans, direction, query)) return FALSE;
  gboolean live = FALSE;
  GstClockTime min = 0, max = GST_CLOCK_TIME_NONE;
  gst_query_parse_latency(query, &live, &min, &max);
  const GstClockTime ours = self->streaming ? self->streaming->reported_latency : GstClockTime(self->latency);
  GST_DEBUG_OBJECT(self, "adding %" GST_TIME_FORMAT " of latency", GST_TIME_ARGS(ours));
  gst_query_set_latency(query, live, min + ours, GST_CLOCK_TIME_IS_VALID(max) ? max + ours : max);
  return TRUE;
}

static void gst_gncycleganir_finalize(GObject *object) {
  GstGncycleganir *self = GST_GNCYCLEGANIR(object);
  g_free(self->model);
  g_free(self->device);
  g_free(self->engine_id);
  g_free(self->active_model);
  delete self->streaming;
#ifdef GNCYCLEGANIR_WITH_CUDA_MEMORY
  release_cuda_context(self);
#endif
  G_OBJECT_CLASS(parent_class)->finalize(object);
}

// The model property's description, listing the bundled models (GLib keeps
// the pointer: the text lives as long as the program).
static const std::string &model_property_blurb() {
  static const std::string blurb = [] {
    std::string text = "A bundled model's name or a generator weights file (.safetensors, from gncyclegan-train; "
                       "architecture and channels come from the file). Unset: " +
                       gncycleganir::bundled_models().front().name + ", or " + gncycleganir::realtime_model_name() +
                       " for a live source on a CPU too slow for it (see active-model). Bundled:";
    for (const auto &model : gncycleganir::bundled_models()) text += " " + model.name + " (" + model.description + ");";
    text.back() = '.';
    return text;
  }();
  return blurb;
}

static void gst_gncycleganir_class_init(GstGncycleganirClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *transform_class = GST_BASE_TRANSFORM_CLASS(klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS(klass);

  gobject_class->set_property = gst_gncycleganir_set_property;
  gobject_class->get_property = gst_gncycleganir_get_property;
  gobject_class->finalize = gst_gncycleganir_finalize;

  const auto ready = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto playing = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  const auto statistic = GParamFlags(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model", model_property_blurb().c_str(), nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_DEVICE,
      g_param_spec_string("device", "Device",
                          "Where the generator runs: auto (CUDA when available, else CPU), cpu, cuda or cuda:N",
                          DEFAULT_DEVICE, ready));
  g_object_class_install_property(
      gobject_class, PROP_BACKEND,
      g_param_spec_enum("backend", "Backend",
                        "Runtime that runs the generator: auto picks OpenVINO on the CPU when this build has it "
                        "(the faster there) and LibTorch otherwise; both run the same weights file",
                        gst_gncycleganir_backend_get_type(), DEFAULT_BACKEND, ready));
  g_object_class_install_property(
      gobject_class, PROP_PRECISION,
      g_param_spec_enum("precision", "Precision",
                        "Arithmetic of the generator: auto is bf16 on CPUs with native bf16 (AVX512-BF16 or AMX; "
                        "within half a gray level of fp32 on average) and fp32 elsewhere and on CUDA; fp16 needs CUDA, bf16 a "
                        "CPU with native bf16",
                        gst_gncycleganir_precision_get_type(), DEFAULT_PRECISION, ready));
  g_object_class_install_property(
      gobject_class, PROP_INFERENCE_WIDTH,
      g_param_spec_uint("inference-width", "Inference width",
                        "Run the generator on frames resized to this width and scale the result back. 0 = "
                        "automatic: the frame's width, except on the CPU with a live source, where the element "
                        "picks the largest size that keeps up with the frame rate (see active-inference-width); "
                        "smaller is faster, and matching the training scale helps quality",
                        0, MAX_INFERENCE_SIZE, DEFAULT_INFERENCE_SIZE, ready));
  g_object_class_install_property(
      gobject_class, PROP_INFERENCE_HEIGHT,
      g_param_spec_uint("inference-height", "Inference height",
                        "Run the generator on frames resized to this height (0 = automatic, as inference-width)", 0,
                        MAX_INFERENCE_SIZE, DEFAULT_INFERENCE_SIZE, ready));
  g_object_class_install_property(
      gobject_class, PROP_PALETTE,
      g_param_spec_enum("palette", "Palette",
                        "Colours of the infrared image on colour outputs (GRAY outputs: black-hot inverts, the "
                        "others are white-hot); changeable while playing",
                        gst_gncycleganir_palette_get_type(), DEFAULT_PALETTE, playing));
  g_object_class_install_property(
      gobject_class, PROP_NUM_THREADS,
      g_param_spec_uint("num-threads", "Threads", "CPU threads for inference (0 = every core)", 0, 1024,
                        DEFAULT_NUM_THREADS, ready));
  g_object_class_install_property(
      gobject_class, PROP_CUDA_GRAPH,
      g_param_spec_boolean("cuda-graph", "CUDA graph",
                           "On CUDA, record the generator as a CUDA graph when warming up and replay it for every "
                           "frame: one launch instead of hundreds, which is most of a small model's frame time",
                           DEFAULT_CUDA_GRAPH, ready));
  g_object_class_install_property(
      gobject_class, PROP_TEMPORAL_SMOOTHING,
      g_param_spec_double("temporal-smoothing", "Temporal smoothing",
                          "Against shimmer: the largest weight the previous output, moved along the input's motion, "
                          "gets in the current one where the scene holds together (moving objects, occlusions and "
                          "scene cuts keep the current output); 0 = off; -1 = automatic: 0.9, but off for a live "
                          "source on the CPU, whose frame time it would take (~55 ms a 640x480 frame on 2 cores). "
                          "Changeable while playing",
                          -1, MAX_TEMPORAL_SMOOTHING, DEFAULT_TEMPORAL_SMOOTHING, playing));
  g_object_class_install_property(
      gobject_class, PROP_ENGINE_ID,
      g_param_spec_string("engine-id", "Engine id",
                          "Elements of one process that give the same id share one loaded model (and, with "
                          "batch-size above 1, run their frames in batches); their other engine settings must "
                          "agree. Unset: elements share when model, device, backend, precision, num-threads, "
                          "cuda-graph, batch-size and batch-timeout all agree; a unique id keeps an engine private",
                          nullptr, ready));
  g_object_class_install_property(
      gobject_class, PROP_BATCH_SIZE,
      g_param_spec_uint("batch-size", "Batch size",
                        "Frames of the elements sharing an engine that run through the generator together, at "
                        "most (frames of one size only); 1 = no batching",
                        1, MAX_BATCH_SIZE, DEFAULT_BATCH_SIZE, ready));
  g_object_class_install_property(
      gobject_class, PROP_BATCH_TIMEOUT,
      g_param_spec_uint("batch-timeout", "Batch timeout",
                        "With batch-size above 1, the longest a frame waits in milliseconds for other streams' "
                        "frames to fill its batch; a stream that stalls or ends never delays the others longer",
                        0, 10000, DEFAULT_BATCH_TIMEOUT_MS, ready));
  g_object_class_install_property(
      gobject_class, PROP_ENGINE_STREAMS,
      g_param_spec_uint("engine-streams", "Engine streams",
                        "Elements that share this element's engine now, this one included (0 when stopped)", 0,
                        G_MAXUINT, 0, statistic));
  g_object_class_install_property(
      gobject_class, PROP_ACTIVE_MODEL,
      g_param_spec_string("active-model", "Active model",
                          "The model running: the model property, or, when it is unset, the default model, which "
                          "a live source on the CPU swaps for realtime where the default would keep up only below "
                          "320x240",
                          nullptr, statistic));
  g_object_class_install_property(
      gobject_class, PROP_ACTIVE_INFERENCE_WIDTH,
      g_param_spec_uint("active-inference-width", "Active inference width",
                        "Width the generator runs at now: the set inference-width, the frame's, or the size chosen "
                        "to keep up with a live source on the CPU (never below a 120-pixel short side); 0 before "
                        "caps are set",
                        0, G_MAXUINT, 0, statistic));
  g_object_class_install_property(
      gobject_class, PROP_ACTIVE_INFERENCE_HEIGHT,
      g_param_spec_uint("active-inference-height", "Active inference height",
                        "Height the generator runs at now (see active-inference-width)", 0, G_MAXUINT, 0, statistic));
  g_object_class_install_property(
      gobject_class, PROP_FRAMES_PROCESSED,
      g_param_spec_uint64("frames-processed", "Frames processed", "Frames converted since the element started", 0,
                          G_MAXUINT64, 0, statistic));
  g_object_class_install_property(
      gobject_class, PROP_MEAN_LATENCY,
      g_param_spec_double("mean-latency", "Mean latency",
                          "Mean time in milliseconds to convert a frame (upload, inference, palette, download)",
                          0, G_MAXDOUBLE, 0, statistic));

  gst_element_class_set_static_metadata(element_class, "GN-CycleGAN visible to infrared", "Filter/Effect/Video",
                                        "Turns visible video into synthetic infrared video with a GN-CycleGAN "
                                        "generator, on CUDA or the CPU",
                                        "The gncycleganir authors");
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);

  transform_class->start = GST_DEBUG_FUNCPTR(gst_gncycleganir_start);
  transform_class->stop = GST_DEBUG_FUNCPTR(gst_gncycleganir_stop);
  transform_class->transform_caps = GST_DEBUG_FUNCPTR(gst_gncycleganir_transform_caps);
  transform_class->query = GST_DEBUG_FUNCPTR(gst_gncycleganir_query);
  transform_class->before_transform = GST_DEBUG_FUNCPTR(gst_gncycleganir_before_transform);
  transform_class->sink_event = GST_DEBUG_FUNCPTR(gst_gncycleganir_sink_event);
  transform_class->passthrough_on_same_caps = FALSE;
  filter_class->set_info = GST_DEBUG_FUNCPTR(gst_gncycleganir_set_info);
  filter_class->transform_frame = GST_DEBUG_FUNCPTR(gst_gncycleganir_transform_frame);
  transform_class->transform = GST_DEBUG_FUNCPTR(gst_gncycleganir_transform);
#ifdef GNCYCLEGANIR_WITH_CUDA_MEMORY
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_gncycleganir_change_state);
  transform_class->propose_allocation = GST_DEBUG_FUNCPTR(gst_gncycleganir_propose_allocation);
  transform_class->decide_allocation = GST_DEBUG_FUNCPTR(gst_gncycleganir_decide_allocation);
#endif

  gst_type_mark_as_plugin_api(gst_gncycleganir_precision_get_type(), GstPluginAPIFlags(0));
  gst_type_mark_as_plugin_api(gst_gncycleganir_backend_get_type(), GstPluginAPIFlags(0));
  gst_type_mark_as_plugin_api(gst_gncycleganir_palette_get_type(), GstPluginAPIFlags(0));
  GST_DEBUG_CATEGORY_INIT(gst_gncycleganir_debug, "gncycleganir", 0, "GN-CycleGAN visible to infrared");
}

static void gst_gncycleganir_init(GstGncycleganir *self) {
  new (&self->palette) std::atomic<int>(DEFAULT_PALETTE);
  new (&self->temporal_smoothing) std::atomic<double>(DEFAULT_TEMPORAL_SMOOTHING);
  new (&self->active_width) std::atomic<guint>(0);
  new (&self->active_height) std::atomic<guint>(0);
  new (&self->frames) std::atomic<guint64>(0);
  new (&self->total_ms) std::atomic<double>(0);
  new (&self->latency) std::atomic<GstClockTime>(0);
  self->model = nullptr;
  self->device = g_strdup(DEFAULT_DEVICE);
  self->backend = DEFAULT_BACKEND;
  self->precision = DEFAULT_PRECISION;
  self->inference_width = self->inference_height = DEFAULT_INFERENCE_SIZE;
  self->num_threads = DEFAULT_NUM_THREADS;
  self->cuda_graph = DEFAULT_CUDA_GRAPH;
  self->engine_id = nullptr;
  self->batch_size = DEFAULT_BATCH_SIZE;
  self->batch_timeout_ms = DEFAULT_BATCH_TIMEOUT_MS;
  self->active_model = nullptr;
  self->streaming = nullptr;
#ifdef GNCYCLEGANIR_WITH_CUDA_MEMORY
  self->cuda = nullptr;
  self->cuda_failed = FALSE;
#endif
  gst_base_transform_set_qos_enabled(GST_BASE_TRANSFORM(self), TRUE);
}
