<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

/**
 * Admin settings: where the portal lives and the secret its embeds are signed with.
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$settings->add(new admin_setting_configcheckbox('assignsubmission_streamportal/default',
    new lang_string('default', 'assignsubmission_streamportal'),
    new lang_string('default_help', 'assignsubmission_streamportal'), 0));
$settings->add(new admin_setting_configtext('assignsubmission_streamportal/portalurl',
    new lang_string('portalurl', 'assignsubmission_streamportal'),
    new lang_string('portalurl_desc', 'assignsubmission_streamportal'), '', PARAM_URL));
$settings->add(new admin_setting_configpasswordunmask('assignsubmission_streamportal/embedsecret',
    new lang_string('embedsecret', 'assignsubmission_streamportal'),
    new lang_string('embedsecret_desc', 'assignsubmission_streamportal'), ''));
