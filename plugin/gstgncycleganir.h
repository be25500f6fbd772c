// The gncycleganir element: visible video in, synthetic infrared video out.
#pragma once

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_GNCYCLEGANIR (gst_gncycleganir_get_type())
G_DECLARE_FINAL_TYPE(GstGncycleganir, gst_gncycleganir, GST, GNCYCLEGANIR, GstVideoFilter)

GST_ELEMENT_REGISTER_DECLARE(gncycleganir);

G_END_DECLS
