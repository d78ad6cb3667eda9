// SPDX-License-Identifier: AGPL-3.0-or-later
// Module probe: Vigil's active prober and its output. It owns the hitlist (ever-responsive addresses
// per /24 and their availability, built by census rounds), the opt-out list, the global token-bucket rate
// limit, ICMP echo on one raw (or datagram) socket driven by epoll, Trinocular's Bayesian belief per block
// (up/down/unknown per round, adaptive probing, recovery back-off), the round log format shared with the
// simulator, and turning round logs into the per-entity series ping-slash24, rtt-p50 and loss. It must not
// know how blocks are geolocated (an EntityDirectory answers that), how the store keeps rows, or anything
// of detection: a round log and a Store::CommitIngest are where its work ends.
#pragma once

#include "probe/belief.h"
#include "probe/echo_engine.h"
#include "probe/geo_directory.h"
#include "probe/hitlist.h"
#include "probe/icmp.h"
#include "probe/ingest.h"
#include "probe/prober.h"
#include "probe/round_log.h"
#include "probe/text_file.h"
#include "probe/token_bucket.h"
