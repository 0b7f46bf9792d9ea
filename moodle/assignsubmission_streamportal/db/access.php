<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

/**
 * Capabilities.
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

// IOMAD adds archetypes for its company course roles; plain Moodle rejects unknown archetype names,
// so they are only listed where they exist.
$streamportalgraders = ['editingteacher' => CAP_ALLOW, 'teacher' => CAP_ALLOW, 'manager' => CAP_ALLOW];
foreach (['companycourseeditor', 'companycoursenoneditor'] as $archetype) {
    if (array_key_exists($archetype, get_role_archetypes())) {
        $streamportalgraders[$archetype] = CAP_ALLOW;
    }
}

$capabilities = [
    // Given to the portal's service role only: records videos for students.
    'assignsubmission/streamportal:recordvideo' => [
        'riskbitmask' => RISK_PERSONAL | RISK_DATALOSS,
        'captype' => 'write',
        'contextlevel' => CONTEXT_MODULE,
        'archetypes' => [],
    ],
    'assignsubmission/streamportal:viewvideos' => [
        'riskbitmask' => RISK_PERSONAL,
        'captype' => 'read',
        'contextlevel' => CONTEXT_MODULE,
        'archetypes' => $streamportalgraders,
    ],
    // Companies and manager type of any user: the portal's service role only.
    'assignsubmission/streamportal:readusercontext' => [
        'riskbitmask' => RISK_PERSONAL,
        'captype' => 'read',
        'contextlevel' => CONTEXT_SYSTEM,
        'archetypes' => [],
    ],
];
