// Image-quality scores as the paper computed them in MATLAB R2019a, so our
// numbers sit beside its Tables 2 and 3.
#pragma once

#include <opencv2/core.hpp>

namespace gncyclegan::train {

// psnr(A, B) for two 8-bit single-channel images of one size: 10·log10(255² / MSE)
// with the MSE over every pixel; +infinity for identical images.
double psnr(const cv::Mat &a, const cv::Mat &b);

// MATLAB's ssim(A, B) for 2-D uint8 images with its defaults: an 11x11
// Gaussian window (sigma 1.5, normalised to sum 1) applied with replicate
// padding, C1 = (0.01·255)², C2 = (0.03·255)², arithmetic in double on the
// 0..255 scale, and the mean of the whole SSIM map (no border is cropped).
// scikit-image's defaults (7x7 uniform window, cropped borders) differ.
double ssim(const cv::Mat &a, const cv::Mat &b);

// Edge energy: the mean over every pixel of the Sobel gradient magnitude
// sqrt(gx² + gy²) of an 8-bit single-channel image, in double on the 0..255
// scale. 3x3 Sobel (gx = [-1 0 1; -2 0 2; -1 0 1] correlated, gy its
// transpose), borders replicated (a pixel outside is its nearest edge pixel).
double mean_gradient_magnitude(const cv::Mat &image);

// sharpness(output, reference) = mean_gradient_magnitude(output) /
// mean_gradient_magnitude(reference), for two 8-bit single-channel images of
// one size: 1 = as much edge energy as the real infrared image, below 1 =
// blurrier. PSNR and SSIM reward blur; this says how much. A reference without
// edges (constant) gives 1 for an output without edges, +infinity otherwise.
double sharpness(const cv::Mat &output, const cv::Mat &reference);

// stripe_ratio(image) = mean |gy| / mean |gx| over every pixel, the same 3x3
// Sobel derivatives as mean_gradient_magnitude: above 1, more edge energy
// down the image (horizontal edges, such as stripes) than across it. Real
// infrared scores 0.9-1.4 on our dev splits; compare an output with its
// reference's. An image without edges gives 1; only horizontal ones, +infinity.
double stripe_ratio(const cv::Mat &image);

// MATLAB's SSIM constants, shared with the training loss (trainer/ssim_loss.h):
// the window's sigma and radius (ceil(3 sigma)), and K1, K2 of C = (K·L)² for
// a dynamic range L.
constexpr double kSsimSigma = 1.5;
constexpr int kSsimRadius = 5;
constexpr double kSsimK1 = 0.01, kSsimK2 = 0.03;

}  // namespace gncyclegan::train
