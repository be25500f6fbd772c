#include <gtest/gtest.h>

#include "model/device.h"

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  gncyclegan::set_cpu_threads(0);  // every core; Debian's libtorch would use one
  return RUN_ALL_TESTS();
}
