<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

namespace assignsubmission_streamportal;

/**
 * The signed link to the portal's player. Moodle never holds a Stream key: the portal checks this
 * signature and the viewer's rights, then mints the Stream token itself.
 *
 * Canonical string: "<uid>|<viewer>|<cmid>|<expires>", HMAC-SHA256 with the shared secret, hex.
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */
class embed {
    /** Seconds an embed link stays valid: the grader renders the (lazy) player when the page loads. */
    const LIFETIME = 900;

    /**
     * The signature of one embed.
     *
     * @param string $secret
     * @param string $uid
     * @param int $viewer
     * @param int $cmid
     * @param int $expires
     * @return string
     */
    public static function signature(string $secret, string $uid, int $viewer, int $cmid, int $expires): string {
        return hash_hmac('sha256', "{$uid}|{$viewer}|{$cmid}|{$expires}", $secret);
    }

    /**
     * The iframe URL for a viewer, or null when the plugin is not configured.
     *
     * @param string $uid
     * @param int $viewer
     * @param int $cmid
     * @param int|null $now
     * @return \moodle_url|null
     */
    public static function url(string $uid, int $viewer, int $cmid, ?int $now = null): ?\moodle_url {
        $portal = rtrim((string)get_config('assignsubmission_streamportal', 'portalurl'), '/');
        $secret = (string)get_config('assignsubmission_streamportal', 'embedsecret');
        if ($portal === '' || $secret === '') {
            return null;
        }
        $expires = ($now ?? time()) + self::LIFETIME;
        return new \moodle_url($portal . '/embed/moodle', [
            'uid' => $uid, 'viewer' => $viewer, 'cmid' => $cmid, 'expires' => $expires,
            'sig' => self::signature($secret, $uid, $viewer, $cmid, $expires),
        ]);
    }

    /** Seconds a sign-in link stays valid after the page showing it was rendered. */
    const LAUNCH_LIFETIME = 600;

    /**
     * The signature of a sign-in link ("launch"): the portal signs in Moodle user $userid with it,
     * once (the nonce is single-use), before $expires.
     *
     * Canonical string: "launch|<userid>|<cmid>|<expires>|<nonce>", HMAC-SHA256 with the shared secret, hex.
     *
     * @param string $secret
     * @param int $userid
     * @param int $cmid
     * @param int $expires
     * @param string $nonce
     * @return string
     */
    public static function launch_signature(string $secret, int $userid, int $cmid, int $expires, string $nonce): string {
        return hash_hmac('sha256', "launch|{$userid}|{$cmid}|{$expires}|{$nonce}", $secret);
    }

    /**
     * "Open in Stream Portal": a link that signs the Moodle user already signed in here into the
     * portal and opens the assignment there. The way in for Moodle 4.1-4.4, where the OAuth2
     * provider plugin does not install; null when the plugin is not configured.
     *
     * @param int $userid
     * @param int $cmid
     * @param int|null $now
     * @return \moodle_url|null
     */
    public static function launch_url(int $userid, int $cmid, ?int $now = null): ?\moodle_url {
        $portal = rtrim((string)get_config('assignsubmission_streamportal', 'portalurl'), '/');
        $secret = (string)get_config('assignsubmission_streamportal', 'embedsecret');
        if ($portal === '' || $secret === '') {
            return null;
        }
        $expires = ($now ?? time()) + self::LAUNCH_LIFETIME;
        $nonce = bin2hex(random_bytes(16));
        return new \moodle_url($portal . '/auth/moodle', [
            'user' => $userid, 'cmid' => $cmid, 'expires' => $expires, 'nonce' => $nonce,
            'sig' => self::launch_signature($secret, $userid, $cmid, $expires, $nonce),
        ]);
    }

    /**
     * The student's link to upload in the portal.
     *
     * @param int $cmid
     * @return \moodle_url|null
     */
    public static function upload_url(int $cmid): ?\moodle_url {
        $portal = rtrim((string)get_config('assignsubmission_streamportal', 'portalurl'), '/');
        return $portal === '' ? null : new \moodle_url($portal . '/a/' . $cmid);
    }
}
