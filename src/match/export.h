// Feeds and exports from indicators: an RPZ zone for DNS resolvers, a MISP
// feed (manifest.json, one file per event, hashes.csv), Suricata (dataset
// files and the rules using them), a Zeek Intel framework file and CSV.
//
// Every export takes the same filter as the index: revoked indicators, those
// outside their validity at `now`, and those the policy does not allow are
// left out; values are normalised (an invalid value is left out and counted).
#pragma once

#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "match/indicator.h"
#include "match/normalize.h"

namespace entente::match {

struct ExportOptions {
  Policy policy;                              // policy.now also drives validity
  Action default_action = Action::kNxdomain;  // for Action::kDefault
  std::string default_local_data;             // when default_action is kLocalData
  std::string zone = "rpz.entente.invalid";   // RPZ zone name (SOA/NS are relative)
  std::uint32_t serial = 1;
  std::uint32_t ttl = 300;
  std::string feed_name = "Entente";  // MISP event info prefix, Zeek meta.source
  std::string org_name = "Entente";   // MISP Orgc
  std::uint32_t first_sid = 9100000;  // Suricata
};

struct ExportStats {
  std::size_t written = 0;            // indicators in the output
  std::size_t excluded = 0;           // revoked, expired or not allowed
  std::size_t invalid = 0;            // value does not normalise
  std::size_t unsupported = 0;        // kind the format cannot express (e.g. regexes in RPZ)
  std::size_t duplicates = 0;         // same trigger already written
  std::vector<std::string> problems;  // the first 50 invalid ones: "id: message"
};

// An RPZ zone file (RFC-draft "DNS Response Policy Zones"): SOA and NS, then
// QNAME triggers (`name` and, for subdomains, `*.name`) and `rpz-ip`
// triggers for addresses and ranges, each with the indicator's action
// (NXDOMAIN `CNAME .`, NODATA `CNAME *.`, PASSTHRU `CNAME rpz-passthru.`,
// DROP `CNAME rpz-drop.`, or local data RRs).
Result<std::string> ExportRpz(std::span<const Indicator> in, const ExportOptions& o,
                              ExportStats& st);
// The rpz-ip owner name of a prefix, e.g. "24.0.2.0.192.rpz-ip",
// "48.zz.1.db8.2001.rpz-ip".
std::string RpzIpOwner(const IpPrefix& p);

// A MISP feed: file name -> content ("manifest.json", "<uuid>.json",
// "hashes.csv"). One event per (community, TLP); attributes carry the TLP
// tag and `to_ids`.
Result<std::map<std::string, std::string>> ExportMisp(std::span<const Indicator> in,
                                                      const ExportOptions& o, ExportStats& st);

// Suricata: file name -> content: "entente.rules", "entente-domains.lst"
// (string dataset, base64 lines), "entente-md5.lst", "entente-sha1.lst",
// "entente-sha256.lst" (hex, for filemd5/filesha1/filesha256).
Result<std::map<std::string, std::string>> ExportSuricata(std::span<const Indicator> in,
                                                          const ExportOptions& o, ExportStats& st);

// A Zeek Intel framework file (Intel::DOMAIN, ADDR, SUBNET, URL, EMAIL,
// FILE_HASH).
Result<std::string> ExportZeekIntel(std::span<const Indicator> in, const ExportOptions& o,
                                    ExportStats& st);

// CSV: id,kind,value,subdomains,tlp,pap,community,confidence,valid_from,valid_until
// (readable back by LoadIndicators with format csv).
Result<std::string> ExportCsv(std::span<const Indicator> in, const ExportOptions& o,
                              ExportStats& st);

// The canonical text of an indicator's value (normalised domain, IP prefix,
// URL, email, lowercase hex hash, regex as is).
Result<std::string> CanonicalValue(const Indicator& i);

}  // namespace entente::match
