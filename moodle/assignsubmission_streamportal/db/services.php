<?php
// This file is part of the Stream Portal companion plugin for Moodle - https://moodle.org/
// GNU GPL v3 or later.

/**
 * Web-service functions the Stream Portal calls with its service token.
 *
 * @package    assignsubmission_streamportal
 * @copyright  2026 Stream Portal
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

$functions = [
    'assignsubmission_streamportal_record_video' => [
        'classname' => 'assignsubmission_streamportal\external\record_video',
        'description' => 'Record a Cloudflare Stream video for a student and submit it (idempotent on uid).',
        'type' => 'write',
        'capabilities' => 'assignsubmission/streamportal:recordvideo, mod/assign:editothersubmission',
    ],
    'assignsubmission_streamportal_get_videos' => [
        'classname' => 'assignsubmission_streamportal\external\get_videos',
        'description' => 'Video records of assignments.',
        'type' => 'read',
        'capabilities' => 'assignsubmission/streamportal:viewvideos',
    ],
    'assignsubmission_streamportal_set_video_status' => [
        'classname' => 'assignsubmission_streamportal\external\set_video_status',
        'description' => 'Update the processing or retention status of a recorded video.',
        'type' => 'write',
        'capabilities' => 'assignsubmission/streamportal:recordvideo',
    ],
    'assignsubmission_streamportal_get_user_context' => [
        'classname' => 'assignsubmission_streamportal\external\get_user_context',
        'description' => 'A user\'s IOMAD companies with manager type, for portal sign-in.',
        'type' => 'read',
        'capabilities' => 'assignsubmission/streamportal:readusercontext',
    ],
];

// On IOMAD the portal also reads companies and their courses: those functions join the service
// where the installed IOMAD declares them (listing them on plain Moodle would name missing functions).
$streamportaliomad = [];
$iomadblock = core_component::get_component_directory('block_iomad_company_admin');
if ($iomadblock && is_readable($iomadblock . '/db/services.php')) {
    $declared = file_get_contents($iomadblock . '/db/services.php');
    foreach (['block_iomad_company_admin_get_companies', 'block_iomad_company_admin_get_company_courses',
            'block_iomad_company_admin_get_user_companies'] as $name) {
        if (strpos($declared, "'{$name}'") !== false) {
            $streamportaliomad[] = $name;
        }
    }
}

$services = [
    'Stream Portal' => [
        'functions' => array_merge(array_keys($functions), [
            'core_webservice_get_site_info', 'core_user_get_users_by_field', 'core_enrol_get_users_courses',
            'core_enrol_get_enrolled_users', 'core_course_get_course_module', 'mod_assign_get_assignments',
            'mod_assign_get_grades', 'mod_assign_get_submission_status', 'mod_assign_save_grades',
        ], $streamportaliomad),
        'restrictedusers' => 1,
        'enabled' => 0,
        'shortname' => 'streamportal',
    ],
];
