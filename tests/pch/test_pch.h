// Precompiled for the test executables: LibTorch's full API and GoogleTest.
#include <gtest/gtest.h>
#include <torch/torch.h>
