// The gncycleganir plugin: registers its one element.
#include <gst/gst.h>

#include "plugin/gstgncycleganir.h"

// GST_PLUGIN_DEFINE names the package it belongs to.
#define PACKAGE "gncycleganir"

static gboolean plugin_init(GstPlugin *plugin) { return GST_ELEMENT_REGISTER(gncycleganir, plugin); }

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, gncycleganir,
                  "Visible to infrared video with GN-CycleGAN", plugin_init, GNCYCLEGANIR_VERSION, "MIT/X11",
                  "gncycleganir", "gncycleganir")
