// Email and webhook notices of communications (comms::Notifier) through the
// mail module: SMTP when configured (`entente serve --smtp URL`), signed
// webhooks always. A notice never carries a message's content.
//
// Thread-safe: the senders keep no state between calls.
#pragma once

#include <optional>

#include "comms/comms.h"
#include "mail/smtp.h"
#include "mail/webhook.h"

namespace entente::api {

class MailNotifier final : public comms::Notifier {
 public:
  // Without `smtp`, email notices are skipped (logged once per notice).
  explicit MailNotifier(std::optional<mail::SmtpConfig> smtp, mail::WebhookOptions webhooks = {});
  Status Email(const std::vector<std::string>& to, const std::string& subject,
               const std::string& body) override;
  Status Webhook(const std::string& url, const std::string& secret,
                 const comms::Json& body) override;

 private:
  std::optional<mail::SmtpSender> smtp_;
  mail::WebhookSender webhooks_;
};

}  // namespace entente::api
