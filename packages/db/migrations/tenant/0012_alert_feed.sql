CREATE TABLE "alert_feed" (
	"seq" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "alert_feed_seq_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"alert_id" uuid NOT NULL,
	"event" text NOT NULL,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_feed_event" CHECK ("alert_feed"."event" in ('raised', 'escalated', 'acknowledged', 'resolved'))
);
--> statement-breakpoint
CREATE TABLE "feed_cursors" (
	"name" text PRIMARY KEY NOT NULL,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notification_settings" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"escalate_after_minutes" integer DEFAULT 30 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notification_settings_single" CHECK ("notification_settings"."id"),
	CONSTRAINT "notification_settings_escalate" CHECK ("notification_settings"."escalate_after_minutes" between 1 and 10080)
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"alert_id" uuid NOT NULL,
	"event" text NOT NULL,
	"channel" text NOT NULL,
	"recipient_id" uuid NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"error" text,
	"provider_id" text,
	"at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notifications_once_key" UNIQUE("alert_id","event","channel","recipient_id"),
	CONSTRAINT "notifications_channel" CHECK ("notifications"."channel" in ('email', 'sms', 'push')),
	CONSTRAINT "notifications_status" CHECK ("notifications"."status" in ('sent', 'failed', 'quiet', 'gone'))
);
--> statement-breakpoint
CREATE TABLE "push_subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"role" text NOT NULL,
	"endpoint" text NOT NULL,
	"p256dh" text NOT NULL,
	"auth" text NOT NULL,
	"user_agent" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_success_at" timestamp with time zone,
	"failures" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "push_subscriptions_endpoint_key" UNIQUE("endpoint")
);
--> statement-breakpoint
ALTER TABLE "alert_recipients" ADD COLUMN "roles" text[] DEFAULT '{admin,engineer,operator}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "alert_recipients" ADD COLUMN "escalation_only" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "site_id" uuid;--> statement-breakpoint
CREATE INDEX "alert_feed_alert_idx" ON "alert_feed" USING btree ("alert_id");--> statement-breakpoint
CREATE INDEX "push_subscriptions_user_idx" ON "push_subscriptions" USING btree ("user_id");--> statement-breakpoint
-- Which site an alert concerns, from what its writer put in `data`: a site or point id, or
-- a site code (delivery alerts). Done here so no writer has to remember it.
CREATE FUNCTION "alerts_site_of"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.site_id IS NULL THEN
    IF NEW.data ? 'siteId' AND NEW.data->>'siteId' ~* '^[0-9a-f-]{36}$' THEN
      NEW.site_id := (SELECT id FROM sites WHERE id = (NEW.data->>'siteId')::uuid);
    END IF;
    IF NEW.site_id IS NULL AND NEW.data ? 'pointId' AND NEW.data->>'pointId' ~* '^[0-9a-f-]{36}$' THEN
      NEW.site_id := (SELECT site_id FROM measurement_points WHERE id = (NEW.data->>'pointId')::uuid);
    END IF;
    IF NEW.site_id IS NULL AND NEW.data ? 'site' THEN
      NEW.site_id := (SELECT id FROM sites WHERE code = NEW.data->>'site');
    END IF;
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "alerts_site" BEFORE INSERT ON "alerts"
  FOR EACH ROW EXECUTE FUNCTION "alerts_site_of"();
--> statement-breakpoint
-- The feed: one row per change people must hear of, and a NOTIFY (sent at commit) that
-- carries `<schema>:<seq>`. Repeats of an open alert (occurrences + 1) are not news.
CREATE FUNCTION "alerts_to_feed"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  happened text;
  new_seq bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    happened := 'raised';
  ELSIF OLD.resolved_at IS NULL AND NEW.resolved_at IS NOT NULL THEN
    happened := 'resolved';
  ELSIF NEW.acknowledged_at IS NOT NULL AND OLD.acknowledged_at IS DISTINCT FROM NEW.acknowledged_at THEN
    happened := 'acknowledged';
  ELSIF NEW.escalated_at IS NOT NULL AND OLD.escalated_at IS DISTINCT FROM NEW.escalated_at THEN
    happened := 'escalated';
  ELSE
    RETURN NULL;
  END IF;
  INSERT INTO alert_feed (alert_id, event) VALUES (NEW.id, happened) RETURNING seq INTO new_seq;
  PERFORM pg_notify('anh_alert_feed', TG_TABLE_SCHEMA || ':' || new_seq);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "alerts_feed" AFTER INSERT OR UPDATE ON "alerts"
  FOR EACH ROW EXECUTE FUNCTION "alerts_to_feed"();
--> statement-breakpoint
INSERT INTO "notification_settings" ("id") VALUES (true);
