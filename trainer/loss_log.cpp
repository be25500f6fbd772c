#include "trainer/loss_log.h"

#include "trainer/atomic_file.h"

#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace gncyclegan::train {
namespace {

constexpr const char *kHeader = "step,epoch,lr,D_A,D_B,G_A,G_B,cycle_A,cycle_B,idt_A,idt_B,paired,temporal,distill,gate,value,seconds";

std::string format(const LossRow &r) {
  char line[512];
  const StepLosses &l = r.losses;
  std::snprintf(line, sizeof line, "%lld,%lld,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.3f",
                static_cast<long long>(r.step), static_cast<long long>(r.epoch), r.lr, l.D_A, l.D_B, l.G_A, l.G_B,
                l.cycle_A, l.cycle_B, l.idt_A, l.idt_B, l.paired, l.temporal, l.distill, l.gate, l.value, r.seconds);
  return line;
}

bool parse(const std::string &line, LossRow &r) {
  long long step = 0, epoch = 0;
  StepLosses &l = r.losses;
  const int fields = std::sscanf(line.c_str(), "%lld,%lld,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf",
                                 &step, &epoch, &r.lr, &l.D_A, &l.D_B, &l.G_A, &l.G_B, &l.cycle_A, &l.cycle_B, &l.idt_A,
                                 &l.idt_B, &l.paired, &l.temporal, &l.distill, &l.gate, &l.value, &r.seconds);
  r.step = step;
  r.epoch = epoch;
  if (fields == 13) {  // a run from before the temporal column: its last field is the seconds
    r.seconds = l.temporal;
    l.temporal = 0;
    return true;
  }
  if (fields == 14) {  // from before the distill column
    r.seconds = l.distill;
    l.distill = 0;
    return true;
  }
  if (fields == 15) {  // from before the gate and value columns
    r.seconds = l.gate;
    l.gate = 0;
    return true;
  }
  return fields == 17;
}

}  // namespace

LossLog::LossLog(const std::string &path, int64_t keep_through) : path_(path) {
  if (keep_through > 0) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);  // header
    LossRow row;
    while (std::getline(in, line))
      if (parse(line, row) && row.step <= keep_through) rows_.push_back(row);
  }
  // Rewrite whole, then append: rows past the checkpoint belong to a run that
  // did not finish and are dropped.
  std::string text = std::string(kHeader) + "\n";
  for (const auto &row : rows_) text += format(row) + "\n";
  write_file_atomically(path, text);
  out_.open(path, std::ios::app);
  if (!out_) throw std::runtime_error("cannot open " + path + " for writing");
}

void LossLog::append(const LossRow &row) {
  rows_.push_back(row);
  out_ << format(row) << "\n";
  out_.flush();
  if (!out_) throw std::runtime_error("cannot append to " + path_ + " (disk full?)");
}

}  // namespace gncyclegan::train
