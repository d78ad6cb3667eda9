// SPDX-License-Identifier: AGPL-3.0-or-later
// Module signals: turns routing data into per-entity time series. The BGP part keeps per-collector,
// per-peer IPv4 prefix tables (from a RIB, then updates in time order; a peer leaving ESTABLISHED voids its
// table), decides which peers are full-feed and which prefixes are visible (IODA's definitions), and at the
// end of every 5-minute UTC bin counts the /24s covered by visible prefixes per country, region and ASN.
// It owns the incremental state that lets new update files extend the series without re-reading history.
// It must not know how series are stored (it hands results to a SignalSink), nor how MRT bytes are laid
// out (the mrt module decodes them), nor where geolocation comes from (the geo module supplies the
// entity ranges).
#pragma once

#include "signals/bgp_signal_builder.h"
#include "signals/entity_partition.h"
#include "signals/ipv4_prefix.h"
#include "signals/mrt_inputs.h"
#include "signals/routing_model.h"
#include "signals/visibility_model.h"
#include "signals/bgp_ingest.h"
#include "signals/geo_counter.h"
