#include <gtest/gtest.h>

#include "mrt/mrt.h"

namespace vigil::mrt {
namespace {

TEST(RobustnessTest, Placeholder) { SUCCEED(); }

}  // namespace
}  // namespace vigil::mrt
